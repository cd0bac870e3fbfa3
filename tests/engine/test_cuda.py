"""The engine on a CUDA device: the same model file and the same answers as on the CPU.

These run only where a GPU is (`scripts/test.sh -m cuda`); the default and slow runs deselect them by marker, so
on a machine without CUDA they are not collected at all rather than skipped.
"""
import numpy as np
import pytest
import torch

from mvad_engine import MvadModel, PreparedFrame, prepare

pytestmark = pytest.mark.cuda
TRAIN_ROWS = 2500


@pytest.fixture(scope="module")
def sample(samples) -> PreparedFrame:
    if not torch.cuda.is_available():
        pytest.fail("the cuda tests need a CUDA device; select them only on a machine with one")
    return prepare(samples / "sample_data_5_3000.csv")


def head(frame: PreparedFrame, rows: int) -> PreparedFrame:
    return PreparedFrame(frame.timestamps[:rows], frame.values[:rows], frame.variables, [])


def test_cuda_is_picked_by_default_and_its_model_file_scores_the_same_on_cpu(sample, tmp_path):
    model = MvadModel(sliding_window=100, epochs=5, windows_per_epoch=1024, progress=False).fit(head(sample, TRAIN_ROWS))
    assert model.device.type == "cuda"
    model.save(tmp_path / "model.zip")
    on_cpu = MvadModel.load(tmp_path / "model.zip", device="cpu")

    start = sample.timestamps[TRAIN_ROWS]
    gpu = {r["timestamp"]: r["value"] for r in model.detect(sample, start=start)}
    cpu = {r["timestamp"]: r["value"] for r in on_cpu.detect(sample, start=start)}
    assert gpu.keys() == cpu.keys() and len(gpu) == len(sample) - TRAIN_ROWS
    g = np.array([v["score"] for v in gpu.values()])
    c = np.array([v["score"] for v in cpu.values()])
    np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-4)
    near = np.abs(g - 1.0) < 1e-3  # isAnomaly is score > 1 (score = 2s / (s + threshold)); ties may differ
    flags_g = np.array([v["isAnomaly"] for v in gpu.values()])
    flags_c = np.array([v["isAnomaly"] for v in cpu.values()])
    assert (flags_g == flags_c)[~near].all()


def test_resumed_training_on_cuda_matches_uninterrupted_training(sample, tmp_path):
    frame = head(sample, TRAIN_ROWS)
    kwargs = dict(sliding_window=100, epochs=4, windows_per_epoch=1024, progress=False)
    straight = MvadModel(**kwargs).fit(frame)
    first = MvadModel(**kwargs)
    first.fit(frame, checkpoint=tmp_path / "ckpt.pt", stop_after_epochs=2)
    resumed = MvadModel(**kwargs).fit(frame, checkpoint=tmp_path / "ckpt.pt")
    assert resumed.epochs_done == 4 and resumed.is_fitted
    for (name, a), b in zip(straight._net.state_dict().items(), resumed._net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


def test_injected_spike_is_found_on_cuda_with_its_two_variables_on_top(sample):
    train = head(sample, TRAIN_ROWS)
    model = MvadModel(sliding_window=100, epochs=5, windows_per_epoch=1024, progress=False).fit(train)
    values = sample.values.copy()
    rows = [2701, 2702, 2851, 2852]
    spiked = [sample.variables.index("series_1"), sample.variables.index("series_3")]
    values[np.ix_(rows, spiked)] += 6 * train.values.std(axis=0)[spiked]
    test = PreparedFrame(sample.timestamps, values, sample.variables, [])
    results = {r["timestamp"]: r["value"] for r in model.detect(test, start=sample.timestamps[TRAIN_ROWS])}
    for r in rows:
        value = results[sample.timestamps[r].strftime("%Y-%m-%dT%H:%M:%SZ")]
        assert value["isAnomaly"], value
        assert {i["variable"] for i in value["interpretation"][:2]} == {"series_1", "series_3"}
