"""avatardrive: drive avatar faces with FACS Action Units.

Layers (imports point down only): ``facs`` -> ``curves`` / ``timeline`` -> ``synth`` ->
``retarget`` / ``tracking`` / ``transport`` -> ``apps``. ``import avatardrive`` stays light: no Qt,
no MediaPipe, no sockets.
"""

from avatardrive.errors import (
    AvatarDriveError,
    CatalogueError,
    CurveError,
    ParameterError,
    RigError,
    TimelineError,
    TrackingError,
    TransportError,
)

__version__ = "0.1.0"

__all__ = [
    "AvatarDriveError",
    "CatalogueError",
    "CurveError",
    "ParameterError",
    "RigError",
    "TimelineError",
    "TrackingError",
    "TransportError",
    "__version__",
]
