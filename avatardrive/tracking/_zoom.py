"""A digital zoom that follows a small face, so that faces far from the camera are tracked.

MediaPipe's face detector looks at the whole frame shrunk to 128 x 128: a face whose eye corners
are less than about 7 % of the frame width apart is not found at all. :class:`FaceZoom` keeps
two pieces of state:

- while a face is tracked and small, a square crop around it (``margin`` inter-ocular distances
  wide), re-centred only when the face drifts (so MediaPipe's frame-to-frame tracking, which
  works in the crop's coordinates, is rarely disturbed); the landmarker runs on the crop and the
  landmarks are mapped back to the frame;
- while no face is found, a search: each frame one tile of a grid of overlapping crops
  (``search_fraction`` of the frame's shorter side) is tried, until the face turns up.

Pure bookkeeping over boxes ``(x0, y0, x1, y1)`` in pixels; the backend does the inference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError

__all__ = ["Box", "FaceZoom", "ZoomParams"]

Box = tuple[int, int, int, int]
_LEFT_OUTER, _RIGHT_OUTER = 263, 33  # outer eye corners
_MIN_SIDE = 96  # pixels: a smaller crop holds too little of the face for the landmarker


@dataclass(frozen=True)
class ZoomParams:
    """When and how the zoom follows a face.

    Attributes
    ----------
    small : float
        The zoom engages when the outer eye corners are closer than this fraction of the frame
        width (0.10), and lets go above 1.4 times it.
    margin : float
        Side of the crop in inter-ocular distances (6: the face fills about a third of it).
    recenter : float
        Re-centre the crop when the face's centre drifts more than this fraction of its side.
    search_fraction : float
        Side of a search tile as a fraction of the frame's shorter side (0.6).
    min_search_side : int
        Frames whose shorter side is below this many pixels are not searched in tiles.
    """

    small: float = 0.10
    margin: float = 6.0
    recenter: float = 0.15
    search_fraction: float = 0.6
    min_search_side: int = 360

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not math.isfinite(value) or value <= 0:
                raise ParameterError(f"ZoomParams.{field.name} is {value!r}; expected > 0")
        if self.search_fraction > 1:
            raise ParameterError(f"ZoomParams.search_fraction is {self.search_fraction}; "
                                 f"expected at most 1")


def _square(cx: float, cy: float, side: float, width: int, height: int) -> Box:
    """A square of ``side`` centred on (cx, cy), shifted (not shrunk) to lie inside the frame."""
    s = round(min(side, width, height))
    x0 = round(min(max(cx - s / 2, 0), width - s))
    y0 = round(min(max(cy - s / 2, 0), height - s))
    return x0, y0, x0 + s, y0 + s


def search_tiles(width: int, height: int, fraction: float) -> tuple[Box, ...]:
    """Overlapping square tiles of side ``fraction`` x the shorter side that cover the frame,
    centre first (then row by row)."""
    side = max(_MIN_SIDE, round(min(width, height) * fraction))
    side = min(side, width, height)

    def starts(extent: int) -> list[int]:
        count = max(1, math.ceil((extent - side) / (side * 0.75)) + 1)
        return [round(k * (extent - side) / max(count - 1, 1)) for k in range(count)]

    tiles = [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]
    centre = _square(width / 2, height / 2, side, width, height)
    return (centre, *[t for t in tiles if t != centre])


class FaceZoom:
    """The crop that follows a small face and the tile search (see the module docstring)."""

    def __init__(self, params: ZoomParams | None = None) -> None:
        self.params = params or ZoomParams()
        self._box: Box | None = None
        self._tiles: tuple[Box, ...] = ()
        self._shape: tuple[int, int] = (0, 0)
        self._next_tile = 0

    @property
    def box(self) -> Box | None:
        """The crop in use, or ``None`` for the whole frame."""
        return self._box

    def view(self, shape: tuple[int, ...]) -> Box | None:
        """The region to run the landmarker on for a frame of ``shape`` (None: all of it)."""
        if self._box is not None and (shape[1], shape[0]) != self._shape:
            self._box = None  # the frame size changed
        return self._box

    def search_box(self, shape: tuple[int, ...]) -> Box | None:
        """The next search tile when the view found no face, or ``None`` (no search: the frame
        is small, or a followed face was just lost and the whole frame is tried first)."""
        height, width = shape[0], shape[1]
        if self._box is not None or min(width, height) < self.params.min_search_side:
            return None
        if self._shape != (width, height) or not self._tiles:
            self._shape = (width, height)
            self._tiles = search_tiles(width, height, self.params.search_fraction)
            self._next_tile = 0
        tile = self._tiles[self._next_tile % len(self._tiles)]
        self._next_tile += 1
        return tile

    def found(self, landmarks: npt.NDArray[np.float32], shape: tuple[int, ...]) -> None:
        """Update the crop from a face's landmarks ``(478, 3)`` in frame pixels."""
        height, width = shape[0], shape[1]
        self._shape = (width, height)
        self._next_tile = 0
        p = self.params
        iod = float(np.hypot(*(landmarks[_LEFT_OUTER, :2] - landmarks[_RIGHT_OUTER, :2])))
        if iod >= p.small * width * (1.4 if self._box is not None else 1.0):
            self._box = None
            return
        side = max(p.margin * iod, _MIN_SIDE)
        cx, cy = (float(v) for v in landmarks[:468, :2].mean(axis=0))
        box = self._box
        if box is not None:
            bside = box[2] - box[0]
            drift = max(abs(cx - (box[0] + box[2]) / 2), abs(cy - (box[1] + box[3]) / 2))
            if drift <= p.recenter * bside and 0.8 <= side / bside <= 1.25:
                return
        self._box = _square(cx, cy, side, width, height)

    def lost(self) -> None:
        """No face in this frame: the next frame is tried whole, then tile by tile."""
        self._box = None
