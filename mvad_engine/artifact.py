"""The model file: one zip with a JSON manifest (format name, kind, version), JSON parts and tensor parts.

    manifest.json   {"format": "open-mvad", "kind": "model" | "checkpoint", "formatVersion": 1}
    <name>.json     configuration, variables, policies, diagnostics ...
    <name>.pt       tensors only (state dicts), read back with torch.load(weights_only=True)

Nothing is unpickled as arbitrary objects, so a model file from elsewhere cannot run code when loaded.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import torch

from mvad_engine.errors import MvadError

FORMAT = "open-mvad"
FORMAT_VERSION = 1


def write(file, kind: str, json_parts: dict[str, object], tensor_parts: dict[str, object]) -> None:
    """Write the bundle to a path or a binary file object."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps({"format": FORMAT, "kind": kind, "formatVersion": FORMAT_VERSION}))
        for name, obj in json_parts.items():
            z.writestr(f"{name}.json", json.dumps(obj))
        for name, obj in tensor_parts.items():
            buf = io.BytesIO()
            torch.save(obj, buf)
            z.writestr(f"{name}.pt", buf.getvalue())


def read(file, kind: str) -> tuple[dict, dict]:
    """Read a bundle of `kind` from a path, binary file object or bytes -> (json parts, tensor parts)."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        file = io.BytesIO(bytes(file))
    what = f"{kind} file" + (f" '{file}'" if isinstance(file, (str, Path)) else "")
    try:
        with zipfile.ZipFile(file) as z:
            manifest = json.loads(z.read("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("kind") != kind:
                raise MvadError("InvalidModelFile", f"The {what} is not an Open MVAD {kind} (manifest {manifest}).")
            version = manifest.get("formatVersion")
            if version != FORMAT_VERSION:
                raise MvadError(
                    "IncompatibleModelVersion",
                    f"The {what} has format version {version!r}; this engine reads version {FORMAT_VERSION}. "
                    "Train the model again with this version.",
                )
            json_parts, tensor_parts = {}, {}
            for name in z.namelist():
                if name.endswith(".json") and name != "manifest.json":
                    json_parts[name[:-5]] = json.loads(z.read(name))
                elif name.endswith(".pt"):
                    tensor_parts[name[:-3]] = torch.load(io.BytesIO(z.read(name)), weights_only=True, map_location="cpu")
            return json_parts, tensor_parts
    except MvadError:
        raise
    except FileNotFoundError:
        raise
    except Exception as exc:  # zip, JSON, unpickling or CRC errors all mean the same thing to the caller
        raise MvadError("InvalidModelFile", f"The {what} is corrupt or unreadable: {exc}") from exc
