"""Fixtures shared by the engine tests."""
import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models: extra threads only cost on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
