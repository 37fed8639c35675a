"""The one error tree of avatardrive.

::

    AvatarDriveError              anything the user can fix: bad input, bad file, bad option
    ├── ParameterError            a bad argument to a library function
    ├── CatalogueError            a shipped data file (AU catalogue, emotion library) is malformed
    ├── TimelineError             a timeline file or authoring call is malformed
    ├── CurveError                a curve file is malformed, or curves do not fit together
    ├── RigError                  a rig file is malformed
    ├── TrackingError             a frame source or tracker cannot be used
    └── TransportError            a destination or socket cannot be used

Every error carries where it happened (``source``: a file or object, ``where``: a line, key or
event index), so that its one-line message names the file, the place, the value and what was
expected.
"""

from __future__ import annotations

import reprlib

__all__ = [
    "MAX_MESSAGE_CHARS",
    "AvatarDriveError",
    "CatalogueError",
    "CurveError",
    "ParameterError",
    "RigError",
    "TimelineError",
    "TrackingError",
    "TransportError",
    "excerpt",
]

#: The longest message line an error renders; longer ones keep their head and tail.
MAX_MESSAGE_CHARS = 320
_SOURCE_CHARS = 260  # a path is quoted whole unless it is absurd
_WHERE_CHARS = 100  # "line 4: events[2].aus.AU12_L"


class _Excerpt(reprlib.Repr):
    """``repr`` cut short: long strings, deep or long containers and huge integers."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 40
        self.maxlong = 24
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 80:  # also beyond Python's 4,300-digit str() limit
            digits = int((x.bit_length() - 1) * 0.30102999566398) + 1
            digits += abs(x) >= 10**digits
            return f"<an integer of {digits} digits>"
        return repr(x)


_EXCERPT = _Excerpt()


def excerpt(value: object) -> str:
    """A short ``repr`` of a bad value for messages: at most about 50 characters.

    Examples
    --------
    >>> excerpt("x" * 1000)
    "'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx'"
    >>> excerpt(10**400)
    '<an integer of 401 digits>'
    """
    try:
        text = _EXCERPT.repr(value)
    except Exception:  # a value whose repr fails still gets a message
        text = f"<a {type(value).__name__}>"
    return _shorten(text, 60)


def _shorten(text: str, limit: int) -> str:
    """``text`` on one line, its middle cut out if it is longer than ``limit``."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}...{text[len(text) - (limit - head - 3) :]}"


class AvatarDriveError(Exception):
    """Root of every error avatardrive raises on purpose.

    Parameters
    ----------
    message
        What is wrong and what was expected, e.g. ``"1.2 is above 1; expected [0, 1]"``.
    source
        The file (or other origin) the bad input came from.
    where
        The place inside it: ``"line 4"``, ``"events[2].intensity"``.
    """

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None):
        self.message = message
        self.source = source
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [
            _shorten(part, limit)
            for part, limit in ((self.source, _SOURCE_CHARS), (self.where, _WHERE_CHARS))
            if part
        ]
        return ": ".join([*parts, _shorten(self.message, MAX_MESSAGE_CHARS)])

    def located(self, *, source: str | None = None, where: str | None = None) -> AvatarDriveError:
        """Return a copy of this error with ``source`` and/or a ``where`` prefix filled in."""
        new_where = self.where
        if where:
            new_where = f"{where}.{self.where}" if self.where else where
        return type(self)(self.message, source=source or self.source, where=new_where)

    def __reduce__(self) -> tuple[object, ...]:  # keep keyword arguments through pickling
        return (_rebuild, (type(self), self.message, self.source, self.where))


def _rebuild(
    cls: type[AvatarDriveError], message: str, source: str | None, where: str | None
) -> AvatarDriveError:
    return cls(message, source=source, where=where)


class ParameterError(AvatarDriveError, ValueError):
    """A library function was called with a bad argument."""


class CatalogueError(AvatarDriveError):
    """A data file shipped with avatardrive (AU catalogue, emotion library) is malformed."""


class TimelineError(AvatarDriveError):
    """A timeline file or authoring call is malformed."""


class CurveError(AvatarDriveError):
    """A curve file is malformed, or curves do not fit together."""


class RigError(AvatarDriveError):
    """A rig file is malformed or cannot be used."""


class TrackingError(AvatarDriveError):
    """A frame source or tracking backend cannot be used."""


class TransportError(AvatarDriveError):
    """A destination, socket or stream cannot be used."""
