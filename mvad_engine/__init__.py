"""Open MVAD's detection engine: data preparation, model, training, detection, interpretation, model file.

Imports nothing from Azure. Public face::

    from mvad_engine import prepare, prepare_variables, MvadModel, MvadError
    frame = prepare("data.csv", schema="OneTable", start=..., end=..., align_mode="Outer", fill_na_method="Linear")
    model = MvadModel(sliding_window=200).fit(frame, on_epoch=callback, checkpoint="ckpt.pt")
    results = model.detect(frame, start=..., top_contributors=10)
    model.save("model.zip"); MvadModel.load("model.zip")
"""
from mvad_engine.errors import MvadError
from mvad_engine.frame import PreparedFrame

__all__ = ["MvadError", "PreparedFrame"]

try:  # filled in as the modules land; keep the package importable meanwhile
    from mvad_engine.prepare import prepare, prepare_variables  # noqa: F401
    __all__ += ["prepare", "prepare_variables"]
except ImportError:  # pragma: no cover
    pass
try:
    from mvad_engine.estimator import EpochReport, MvadModel  # noqa: F401
    __all__ += ["MvadModel", "EpochReport"]
except ImportError:  # pragma: no cover
    pass
