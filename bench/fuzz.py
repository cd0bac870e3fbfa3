"""Fuzzing the API with schemathesis, driven by the official REST description of Azure AI Anomaly Detector
Multivariate v1.1 (``spec/anomalydetector-v1.1-multivariate.json``), against the local host on 127.0.0.1.

    python -m bench.fuzz [--requests 2000] [--seconds 600]     # starts Azurite (if needed) and its own host

Prints JSON: requests by operation, by status and by generation mode, and every failure. A request fails when the
answer is a 5xx, or does not conform to the description: status code, content type, body schema and headers of the
documented response. Every operation of the description declares a ``default`` response (the service's
``{code, message}`` with ``x-ms-error-code``), so an error status it does not list (401, 404, 413 ...) is documented
through that; 401 in particular is how the service refuses a missing or wrong key (``Ocp-Apim-Subscription-Key``, the
description's security definition). Negative cases (data outside the description) must be refused with a 4xx.
About a tenth of the requests go without the key; path ids are, half of the time, those of a real READY model and
result (never for DELETE) so detection is reached, not only 404s. Traffic goes to 127.0.0.1 only, bounded in count
and time.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.checks import not_a_server_error

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "anomalydetector-v1.1-multivariate.json"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@dataclass
class FuzzReport:
    requests: int = 0
    by_operation: dict = field(default_factory=lambda: collections.Counter())
    by_status: dict = field(default_factory=lambda: collections.Counter())
    by_mode: dict = field(default_factory=lambda: collections.Counter())
    without_key: int = 0
    server_errors: int = 0
    failures: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"requests": self.requests, "seconds": round(self.seconds, 1), "server_errors": self.server_errors,
                "without_valid_key": self.without_key, "by_operation": dict(sorted(self.by_operation.items())),
                "by_status": dict(sorted(self.by_status.items())), "by_mode": dict(self.by_mode),
                "failures": self.failures}


def _check_local(base_url: str) -> None:
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"fuzzing is for the local host only, not {host}")


def fuzz(base_url: str, key: str, total: int, seconds: float, model_id: str | None = None,
         result_id: str | None = None, seed: int = 0) -> FuzzReport:
    """Send ``total`` generated requests (stopping early after ``seconds``) to the API at ``base_url``."""
    _check_local(base_url)
    schema = schemathesis.openapi.from_path(SPEC)
    operations = [op.ok() for op in schema.get_all_operations()]
    report = FuzzReport()
    session = requests.Session()
    pick = random.Random(seed)
    started = time.monotonic()
    deadline = started + seconds
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    per_run = max(5, total // (2 * len(operations) * len(modes)))  # each (operation, mode) gets its share per round
    while report.requests < total and time.monotonic() < deadline:
        for operation in operations:
            for mode in modes:
                budget = min(per_run, total - report.requests)
                if budget <= 0 or time.monotonic() >= deadline:
                    break
                _run(operation, mode, budget, base_url, key, session, pick, report, deadline, model_id, result_id)
    report.seconds = time.monotonic() - started
    return report


def _run(operation, mode, budget, base_url, key, session, pick, report, deadline, model_id, result_id):
    label = f"{operation.method.upper()} {operation.path}"
    sent = [0]

    @settings(max_examples=budget, deadline=None, database=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case):
        if sent[0] >= budget or time.monotonic() >= deadline:
            return
        sent[0] += 1
        aimed = False
        if case.path_parameters and operation.method.upper() != "DELETE" and pick.random() < 0.5:
            for name, value in (("modelId", model_id), ("resultId", result_id)):
                if name in case.path_parameters and value:
                    case.path_parameters[name] = value
                    aimed = True
        # the generated case carries the key header (the description's security) unless a negative case dropped it:
        # such a case goes without a valid key half of the time (else we restore the key, and it is no longer
        # negative); a tenth of the others go without one too
        generated_key = KEY_HEADER in (case.headers or {})
        keyed = pick.random() >= (0.1 if generated_key else 0.5)
        aimed = aimed or (keyed and not generated_key)
        headers = {KEY_HEADER: key} if keyed else {}
        if keyed:  # into the case itself: a negative case that dropped the header would otherwise send none
            case.headers = {**(case.headers or {}), **headers}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
        report.requests += 1
        report.by_operation[label] += 1
        report.by_status[str(response.status_code)] += 1
        report.by_mode[str(mode.value)] += 1
        report.without_key += not keyed
        report.server_errors += response.status_code >= 500
        if keyed and response.status_code == 401:
            report.failures.append(_failure(label, mode, response, "refused although it carried a valid key"))
        # a negative case must be refused, unless we replaced what made it negative (a real id, the real key)
        # (an empty query value, ``?top=``, is read as "not given": a leniency kept on purpose, not a failure)
        sent_query = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
        lenient = any(value == "" for _, value in sent_query)
        checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE and not aimed and not lenient
                           else [])
        try:
            case.validate_response(response, checks=checks, headers={**(case.headers or {}), **headers})
        except BaseException as failed:  # a check failed (a FailureGroup): record it and go on generating
            if isinstance(failed, (KeyboardInterrupt, SystemExit)):
                raise
            titles = "; ".join(getattr(e, "title", str(e)) for e in getattr(failed, "exceptions", [failed]))
            report.failures.append(_failure(label, mode, response, titles))

    one()


def _failure(label: str, mode: GenerationMode, response, what: str) -> dict:
    return {"operation": label, "mode": str(mode.value), "status": response.status_code, "failure": what[:300],
            "url": response.request.url[:300], "body": response.text[:300]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=900)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--seed", type=int, default=0, help="seeds which requests get a real id or no key")
    args = parser.parse_args()
    from bench.fuzz_stack import local_stack

    with local_stack(args.port) as stack:
        report = fuzz(stack.base_url, stack.key, args.requests, args.seconds, stack.model_id, stack.result_id,
                      args.seed)
    print(json.dumps(report.as_dict(), indent=2))
    raise SystemExit(1 if report.failures or report.server_errors or report.requests < args.requests else 0)


if __name__ == "__main__":
    main()
