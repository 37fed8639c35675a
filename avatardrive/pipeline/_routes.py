"""Routes: one per destination, each with its rig, its sink and a weights buffer."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from avatardrive.errors import AvatarDriveError
from avatardrive.facs import CHANNELS, N_CHANNELS
from avatardrive.retarget import Rig, VRCFTParameters, load_rig
from avatardrive.synth import EmotionReader
from avatardrive.transport import (
    Destination,
    Frame,
    Sink,
    ValueRange,
    open_sink,
    parse_destination,
)

__all__ = ["Route", "close_routes", "open_routes", "send_neutral"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float32]


@dataclass
class Route:
    """One destination: its rig, its sink, and the buffer its weights are written into."""

    label: str
    rig: Rig
    sink: Sink
    weights: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.weights = np.zeros(len(self.rig.shape_names), dtype=np.float32)

    def send(self, au: FloatArray, *, index: int, time: float) -> None:
        self.rig.forward_frame(au, out=self.weights)
        self.sink.send(Frame(index, time, self.rig.shape_names, self.weights, CHANNELS, au))


def _rig_given(url: str) -> bool:
    return "rig" in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def open_routes(urls: Sequence[str], *, rig: str | None = None) -> list[Route]:
    """Parse destination URLs and open a UDP sink and rig for each.

    ``rig`` replaces the scheme's default rig where a URL does not name one (``?rig=``).
    """
    routes: list[Route] = []
    try:
        for url in urls:
            destination: Destination = parse_destination(url)
            rig_name = destination.rig if (rig is None or _rig_given(url)) else rig
            loaded = load_rig(rig_name)
            reader = EmotionReader() if destination.emotions else None  # osc://...?emotions=1
            sink = open_sink(destination, ranges=ValueRange(0.0, loaded.scale),
                             parameters=VRCFTParameters, readout=reader)  # fmt: skip
            routes.append(Route(destination.url, loaded, sink))
    except BaseException:
        for route in routes:
            route.sink.close()
        raise
    return routes


def send_neutral(routes: Sequence[Route], *, index: int, time: float) -> None:
    """Send every route a neutral frame, so avatars return to rest."""
    rest = np.zeros(N_CHANNELS, dtype=np.float32)
    for route in routes:
        try:
            route.send(rest, index=index, time=time)
        except AvatarDriveError as err:  # keep going: the other routes still need their rest frame
            log.warning("%s: could not send the neutral frame: %s", route.label, err)


def close_routes(routes: Sequence[Route]) -> None:
    """Close every route's sink (each once; an error closing one does not stop the others)."""
    for route in routes:
        try:
            route.sink.close()
        except AvatarDriveError as err:
            log.warning("%s: could not close: %s", route.label, err)
