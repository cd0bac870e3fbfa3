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
from mvad_engine.prepare import prepare, prepare_variables

__all__ = ["MvadError", "PreparedFrame", "prepare", "prepare_variables", "MvadModel", "EpochReport"]


def __getattr__(name):
    # torch loads only when the model is used, so data preparation and CLI errors start fast
    if name in ("MvadModel", "EpochReport"):
        from mvad_engine import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'mvad_engine' has no attribute {name!r}")
