"""Zip archives built in memory, for the MultiTable inputs of the engine and the service tests."""
from __future__ import annotations

import io
import zipfile


def zip_bytes(members: dict[str, str | bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
