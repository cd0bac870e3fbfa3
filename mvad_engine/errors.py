"""The one error type of the engine: it carries the service's error code up to the HTTP answer."""


class MvadError(Exception):
    """A failure the caller can act on, named by the original service's error code.

    ``code`` is the service's code (``InvalidSlidingWindow``, ``NotEnoughInput`` ...); ``message`` says which file,
    column, row or parameter is at fault. The HTTP layer maps the code to a status; the engine never does.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}
