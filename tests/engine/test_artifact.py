"""The model file: round trip, version and corruption errors, safe loading."""
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch

from mvad_engine import MvadError, MvadModel, PreparedFrame


pytestmark = pytest.mark.usefixtures("one_thread")


def make_frame(rows=300, variables=("a", "b", "c"), seed=0) -> PreparedFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = np.stack([np.sin(t / (5 + i)) + 0.1 * rng.standard_normal(rows) for i in range(len(variables))], 1)
    ts = pd.date_range("2021-01-01", periods=rows, freq="min", tz="UTC")
    return PreparedFrame(ts, values.astype(np.float32), list(variables), [{"variable": v} for v in variables])


@pytest.fixture(scope="module")
def fitted():
    frame = make_frame()
    model = MvadModel(sliding_window=28, epochs=2, align_policy={"alignMode": "Inner", "fillNAMethod": "Zero"},
                      windows_per_epoch=128, batch_size=64).fit(frame)
    return model, frame


def rewrite(data: bytes, change) -> bytes:
    """Copy a zip, letting `change(name, content)` alter or drop (None) members."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = change(name, src.read(name))
            if content is not None:
                dst.writestr(name, content)
    return out.getvalue()


def test_round_trip_by_path_file_and_bytes_gives_identical_results(fitted, tmp_path):
    model, frame = fitted
    expected = model.detect(frame)
    model.save(tmp_path / "model.zip")
    buf = io.BytesIO()
    model.save(buf)
    for source in (tmp_path / "model.zip", str(tmp_path / "model.zip"), io.BytesIO(buf.getvalue()), buf.getvalue()):
        loaded = MvadModel.load(source)
        assert loaded.detect(frame) == expected
        assert loaded.variables == model.variables
        assert loaded.variable_states == model.variable_states
        assert loaded.align_policy == {"alignMode": "Inner", "fillNAMethod": "Zero", "paddingValue": 0}
        assert loaded.model_state == model.model_state
        assert loaded.sliding_window == 28


def test_manifest_names_format_and_version(fitted):
    model, _ = fitted
    buf = io.BytesIO()
    model.save(buf)
    with zipfile.ZipFile(buf) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["format"] == "open-mvad" and manifest["kind"] == "model"
        assert isinstance(manifest["formatVersion"], int)
        assert {"config.json", "state.json", "weights.pt", "fitted.pt"} <= set(z.namelist())


def test_other_format_version_is_a_clear_error(fitted):
    model, _ = fitted
    buf = io.BytesIO()
    model.save(buf)

    def bump(name, content):
        if name == "manifest.json":
            m = json.loads(content)
            m["formatVersion"] += 1
            return json.dumps(m)
        return content

    with pytest.raises(MvadError) as e:
        MvadModel.load(rewrite(buf.getvalue(), bump))
    assert e.value.code == "IncompatibleModelVersion"
    assert "version" in e.value.message


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "missing part", "missing weights", "garbled weights", "checkpoint"])
def test_corrupt_or_wrong_file_is_a_clear_error(fitted, tmp_path, damage):
    model, frame = fitted
    buf = io.BytesIO()
    model.save(buf)
    data = buf.getvalue()
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "not a zip":
        data = b"timestamp,a\n2021-01-01T00:00:00Z,1\n"
    elif damage == "missing part":
        data = rewrite(data, lambda n, c: None if n == "fitted.pt" else c)
    elif damage == "missing weights":
        data = rewrite(data, lambda n, c: None if n == "weights.pt" else c)
    elif damage == "garbled weights":
        data = rewrite(data, lambda n, c: c[:40] + b"\x00" * 64 + c[104:] if n == "weights.pt" else c)
    else:
        ckpt = tmp_path / "ckpt.pt"
        MvadModel(sliding_window=28, epochs=2, windows_per_epoch=64).fit(frame, checkpoint=ckpt, stop_after_epochs=1)
        data = ckpt.read_bytes()
    with pytest.raises(MvadError) as e:
        MvadModel.load(data)
    assert e.value.code == "InvalidModelFile"


def test_loading_never_unpickles_arbitrary_objects(fitted):
    model, _ = fitted
    buf = io.BytesIO()
    model.save(buf)

    class Boom:
        def __reduce__(self):
            return (print, ("side effect",))

    payload = io.BytesIO()
    torch.save({"x": Boom()}, payload)
    data = rewrite(buf.getvalue(), lambda n, c: payload.getvalue() if n == "fitted.pt" else c)
    with pytest.raises(MvadError) as e:
        MvadModel.load(data)
    assert e.value.code == "InvalidModelFile"


def test_unfitted_model_cannot_be_saved():
    with pytest.raises(MvadError) as e:
        MvadModel(sliding_window=28).save(io.BytesIO())
    assert e.value.code == "ModelNotReady"
