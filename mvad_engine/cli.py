"""The engine's command line: train a model file from a CSV/zip/folder, detect anomalies with it.

    python -m mvad_engine train --data FILE --schema OneTable|MultiTable --sliding-window N [--start T] [--end T]
        [--align-mode Outer] [--fill-na-method Linear] [--padding-value V] [--epochs N] --out MODEL.zip
    python -m mvad_engine detect --model MODEL.zip --data FILE [--schema S] [--start T] [--end T]
        [--top-contributors K] --out RESULT.json

RESULT.json is the batch result's ``{"variableStates": [...], "results": [...]}``. Errors print
``error: (Code) message`` on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from mvad_engine import limits
from mvad_engine.align import ALIGN_MODES, FILL_NA_METHODS
from mvad_engine.errors import MvadError
from mvad_engine.prepare import SCHEMAS, prepare
from mvad_engine.readers import is_zip

ERROR_STATUS = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except MvadError as exc:
        print(f"error: ({exc.code}) {exc.message}", file=sys.stderr)
        return ERROR_STATUS
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mvad_engine", description="Multivariate anomaly detection.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and write its model file")
    train.add_argument("--data", required=True, help="OneTable CSV, or MultiTable zip or folder of CSVs")
    train.add_argument("--schema", required=True, choices=SCHEMAS)
    train.add_argument("--sliding-window", required=True, type=int)
    train.add_argument("--start", help="ISO 8601 start of the training data (inclusive)")
    train.add_argument("--end", help="ISO 8601 end of the training data (inclusive)")
    train.add_argument("--align-mode", default="Outer", choices=ALIGN_MODES)
    train.add_argument("--fill-na-method", default="Linear", choices=FILL_NA_METHODS)
    train.add_argument("--padding-value", type=float, help="required with --fill-na-method Fixed")
    train.add_argument("--epochs", type=int, default=limits.DEFAULT_EPOCHS)
    train.add_argument("--out", required=True, help="model file (.zip) to write")
    train.set_defaults(run=train_command)

    detect = commands.add_parser("detect", help="detect anomalies with a model file")
    detect.add_argument("--model", required=True, help="model file written by `train`")
    detect.add_argument("--data", required=True, help="OneTable CSV, or MultiTable zip or folder of CSVs")
    detect.add_argument("--schema", choices=SCHEMAS, help="default: MultiTable for a zip or folder, else OneTable")
    detect.add_argument("--start", help="ISO 8601 first timestamp to report; earlier rows serve as history")
    detect.add_argument("--end", help="ISO 8601 last timestamp to report")
    detect.add_argument("--top-contributors", type=int, default=limits.DEFAULT_TOP_CONTRIBUTORS)
    detect.add_argument("--out", required=True, help="result JSON to write")
    detect.set_defaults(run=detect_command)
    return parser


def train_command(args) -> None:
    from mvad_engine.estimator import MvadModel  # torch loads only when a model is needed

    align_policy = {"alignMode": args.align_mode, "fillNAMethod": args.fill_na_method}
    if args.padding_value is not None:
        align_policy["paddingValue"] = args.padding_value
    model = MvadModel(sliding_window=args.sliding_window, epochs=args.epochs, align_policy=align_policy)
    frame = prepare(args.data, schema=args.schema, start=args.start, end=args.end, align_mode=args.align_mode,
                    fill_na_method=args.fill_na_method, padding_value=args.padding_value)
    with tqdm(total=args.epochs, desc="training", unit="epoch", file=sys.stderr) as bar:
        def on_epoch(report):
            bar.set_postfix(train_loss=f"{report.train_loss:.4f}", validation_loss=f"{report.validation_loss:.4f}")
            bar.update(1)

        model.fit(frame, on_epoch=on_epoch)
    model.save(args.out)
    print(f"model: {args.out} ({len(frame.variables)} variables, {len(frame)} timestamps)", file=sys.stderr)


def detect_command(args) -> None:
    from mvad_engine.estimator import MvadModel

    model = MvadModel.load(args.model)
    schema = args.schema or _guess_schema(args.data)
    policy = model.align_policy
    options = dict(schema=schema, end=args.end, align_mode=policy.get("alignMode", "Outer"),
                   fill_na_method=policy.get("fillNAMethod", "Linear"), padding_value=policy.get("paddingValue"))
    frame = prepare(args.data, **options)  # no start clipping: rows before --start are history
    results = model.detect(frame, start=args.start, end=args.end, top_contributors=args.top_contributors)
    # the variable states describe the reported range only, as the service's batch result does
    states = frame.variable_states
    if args.start is not None:
        states = prepare(args.data, start=args.start, **options).variable_states
    Path(args.out).write_text(json.dumps({"variableStates": states, "results": results}, indent=2))
    print(f"results: {args.out} ({len(results)} timestamps)", file=sys.stderr)


def _guess_schema(data: str) -> str:
    path = Path(data)
    if path.is_dir():
        return "MultiTable"
    if path.is_file():
        with open(path, "rb") as f:
            if is_zip(f.read(4)):
                return "MultiTable"
    return "OneTable"
