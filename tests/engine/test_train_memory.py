"""One epoch on 1,000,000 timestamps x 300 variables stays within 8 GB peak RSS (windows are never copied)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import resource, numpy as np, pandas as pd
    from mvad_engine import MvadModel, PreparedFrame
    rows, variables = 1_000_000, 300
    rng = np.random.default_rng(0)
    values = rng.standard_normal((rows, variables), dtype=np.float32)
    ts = pd.date_range("2020-01-01", periods=rows, freq="min", tz="UTC")
    frame = PreparedFrame(ts, values, [f"v{i}" for i in range(variables)], [])
    model = MvadModel(sliding_window=300, epochs=1, progress=False).fit(frame)
    assert model.is_fitted
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)  # GiB (ru_maxrss is KiB on Linux)
""")


@pytest.mark.slow
def test_one_epoch_on_a_million_rows_by_300_variables_fits_in_8_gb():
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=1800,
                         env=env)
    peak_gib = float(out.stdout.strip().splitlines()[-1])
    print(f"peak RSS {peak_gib:.2f} GiB")
    assert peak_gib < 8.0, f"peak RSS {peak_gib:.2f} GiB"
