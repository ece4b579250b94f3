"""The project's exceptions: each message names the bad value and says how to fix it.

``RagError`` is what the CLI and the app catch to print one clean line instead of
a traceback.  Bugs (anything else) still raise normally.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class ConfigError(RagError, ValueError):
    """A setting, environment variable or CLI flag has a bad value."""


class CorpusError(RagError):
    """The corpus folder is missing or holds nothing usable."""


class IndexStateError(RagError):
    """The index folder is missing, stale, foreign or corrupted."""


class IndexWriteError(IndexStateError):
    """A new index could not be written (disk full, read-only folder); the old one is intact."""


class GoldSetError(RagError, ValueError):
    """A gold Q&A file has a bad line."""


class GeneratorError(RagError):
    """An answer generator (local model, remote endpoint) failed; callers fall back."""


class RequestError(RagError, ValueError):
    """An API call sent a bad value: ``param`` names the field, ``code`` the kind of fault.

    ``code`` is ``invalid_type`` (wrong JSON type), ``invalid_value`` (right type, not
    accepted) or ``too_large`` (over a limit); HTTP endpoints map it to 422, 400 or 413.
    """

    def __init__(self, message: str, *, param: str | None = None, code: str = "invalid_value"):
        super().__init__(message)
        self.param = param
        self.code = code
