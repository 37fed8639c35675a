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

__all__ = [
    "AvatarDriveError",
    "CatalogueError",
    "CurveError",
    "ParameterError",
    "RigError",
    "TimelineError",
    "TrackingError",
    "TransportError",
]


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
        parts = [p for p in (self.source, self.where) if p]
        return ": ".join([*parts, self.message])

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
