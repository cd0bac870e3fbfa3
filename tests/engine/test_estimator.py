"""MvadModel: parameter validation, training diagnostics, determinism and checkpoint resume."""
import numpy as np
import pandas as pd
import pytest
import torch

from mvad_engine import EpochReport, MvadError, MvadModel, PreparedFrame


pytestmark = pytest.mark.usefixtures("one_thread")

FAST = dict(windows_per_epoch=256, batch_size=64)


def make_frame(rows=400, variables=("a", "b", "c"), seed=0) -> PreparedFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = np.stack([np.sin(t / (5 + i)) + 0.1 * rng.standard_normal(rows) for i in range(len(variables))], 1)
    ts = pd.date_range("2021-01-01", periods=rows, freq="min", tz="UTC")
    return PreparedFrame(ts, values.astype(np.float32), list(variables), [])


@pytest.mark.parametrize("window", [27, 2881, 30.5, "300", True])
def test_sliding_window_out_of_range_is_rejected_up_front(window):
    with pytest.raises(MvadError) as e:
        MvadModel(sliding_window=window)
    assert e.value.code == "InvalidSlidingWindow"


@pytest.mark.parametrize("epochs", [0, -3, 2.5])
def test_epochs_must_be_positive_integer(epochs):
    with pytest.raises(MvadError) as e:
        MvadModel(sliding_window=28, epochs=epochs)
    assert e.value.code == "InvalidModelArgument"


def test_training_data_shorter_than_window_plus_a_few_points_is_not_enough_input():
    with pytest.raises(MvadError) as e:
        MvadModel(sliding_window=28, epochs=1, **FAST).fit(make_frame(rows=30))
    assert e.value.code == "NotEnoughInput"
    assert "30" in e.value.message


def test_epoch_callback_and_model_state_every_tenth_epoch():
    reports = []
    model = MvadModel(sliding_window=28, epochs=12, **FAST).fit(make_frame(), on_epoch=reports.append)
    assert [r.epoch for r in reports] == list(range(1, 13))
    assert all(isinstance(r, EpochReport) and r.train_loss > 0 and r.validation_loss > 0 and r.latency_seconds > 0
               for r in reports)
    state = model.model_state
    assert state["epochIds"] == [10, 12]
    assert state["trainLosses"] == [reports[9].train_loss, reports[11].train_loss]
    assert len(state["validationLosses"]) == len(state["latenciesInSeconds"]) == 2
    assert model.is_fitted and model.epochs_done == 12
    assert reports[-1].train_loss < reports[0].train_loss  # it does learn


def test_small_training_set_trains_for_real():
    """The quickstart shape: 301 timestamps with window 200 must train, not be skipped."""
    frame = make_frame(rows=301)
    model = MvadModel(sliding_window=200, epochs=3, **FAST)
    reports = []
    model.fit(frame, on_epoch=reports.append)
    assert len(reports) == 3 and model.is_fitted
    assert len(model.detect_last(frame)) == 10


def test_same_seed_gives_same_model_on_cpu():
    frame = make_frame()
    a = MvadModel(sliding_window=28, epochs=3, seed=7, device="cpu", **FAST).fit(frame)
    b = MvadModel(sliding_window=28, epochs=3, seed=7, device="cpu", **FAST).fit(frame)
    c = MvadModel(sliding_window=28, epochs=3, seed=8, device="cpu", **FAST).fit(frame)
    for (k, va), vb in zip(a._net.state_dict().items(), b._net.state_dict().values()):
        assert torch.equal(va, vb), k
    assert a.detect(frame) == b.detect(frame)
    assert any(not torch.equal(va, vc) for va, vc in zip(a._net.state_dict().values(), c._net.state_dict().values()))


def test_resumed_training_matches_uninterrupted_training(tmp_path):
    frame = make_frame()
    straight = MvadModel(sliding_window=28, epochs=4, device="cpu", **FAST).fit(frame)

    ckpt = tmp_path / "ckpt.pt"
    first = MvadModel(sliding_window=28, epochs=4, device="cpu", **FAST)
    first.fit(frame, checkpoint=ckpt, stop_after_epochs=2)
    assert not first.is_fitted and first.epochs_done == 2 and ckpt.exists()
    with pytest.raises(MvadError) as e:
        first.detect(frame)
    assert e.value.code == "ModelNotReady"

    resumed = MvadModel(sliding_window=28, epochs=4, device="cpu", **FAST)  # a fresh process would do this
    reports = []
    resumed.fit(frame, checkpoint=ckpt, on_epoch=reports.append)
    assert [r.epoch for r in reports] == [3, 4] and resumed.is_fitted
    for (k, va), vb in zip(straight._net.state_dict().items(), resumed._net.state_dict().values()):
        assert torch.equal(va, vb), k
    assert straight.detect(frame) == resumed.detect(frame)
    assert straight.model_state["trainLosses"] == resumed.model_state["trainLosses"]


def test_checkpoint_of_another_run_is_refused(tmp_path):
    frame = make_frame()
    ckpt = tmp_path / "ckpt.pt"
    MvadModel(sliding_window=28, epochs=4, **FAST).fit(frame, checkpoint=ckpt, stop_after_epochs=1)
    with pytest.raises(MvadError) as e:
        MvadModel(sliding_window=30, epochs=4, **FAST).fit(frame, checkpoint=ckpt)
    assert e.value.code == "InvalidCheckpoint"
