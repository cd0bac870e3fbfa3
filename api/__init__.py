"""The HTTP API of /anomalydetector/v1.1/multivariate as a Durable Functions blueprint (``bp``)."""
from api.routes import bp

__all__ = ["bp"]
