"""The compute backend seam."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from mvad_engine.errors import MvadError
from orchestrations.compute import LocalBackend, get_backend
from orchestrations.retry import data_errors_as_result


def test_local_is_the_default():
    assert isinstance(get_backend(SimpleNamespace()), LocalBackend)
    assert isinstance(get_backend(SimpleNamespace(compute_backend="local")), LocalBackend)


def test_unknown_backend_is_refused_clearly():
    with pytest.raises(ValueError, match="MVAD_COMPUTE_BACKEND='kubernetes'"):
        get_backend(SimpleNamespace(compute_backend="kubernetes"))


def test_local_backend_refuses_unknown_jobs():
    with pytest.raises(ValueError, match="Unknown compute job"):
        LocalBackend().run("delete_everything", {})


def test_data_errors_become_results_and_others_raise():
    def bad_data():
        raise MvadError("InvalidInputFormat", "row 3 of a.csv")

    assert data_errors_as_result(bad_data) == {"error": {"code": "InvalidInputFormat", "message": "row 3 of a.csv"}}
    assert data_errors_as_result(lambda: {"epochsDone": 10}) == {"epochsDone": 10}

    def transient():
        raise TimeoutError("storage")

    with pytest.raises(TimeoutError):
        data_errors_as_result(transient)
