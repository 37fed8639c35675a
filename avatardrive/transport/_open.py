"""One entry point from a user's ``--to`` argument to a sink."""

from __future__ import annotations

import os
from pathlib import Path

from avatardrive.errors import TransportError
from avatardrive.transport._destination import Destination, parse_destination
from avatardrive.transport._encoders import Readout
from avatardrive.transport._frame import UNIT_RANGE, Sink, ValueRange
from avatardrive.transport._livelink import LiveLinkCsvSink
from avatardrive.transport._record import NpzRecorder
from avatardrive.transport._udp import UdpSink
from avatardrive.transport._vrchat import ParameterFactory, VRChatSink

__all__ = ["open_sink"]


def open_sink(
    target: str | os.PathLike[str] | Destination,
    *,
    ranges: ValueRange = UNIT_RANGE,
    parameters: ParameterFactory | None = None,
    readout: Readout | None = None,
) -> Sink:
    """Open the sink a target names.

    ``osc://`` and ``vmc://`` URLs (or a :class:`Destination`) open a :class:`UdpSink`,
    ``vrchat://`` a :class:`VRChatSink` (given ``parameters``, the factory of the derived
    VRCFaceTracking v2 parameters, e.g. ``avatardrive.retarget.VRCFTParameters``; ``readout``
    is what ``osc://...?emotions=1`` sends, e.g. ``avatardrive.synth.EmotionReader()``); a path
    ending in ``.csv`` a :class:`LiveLinkCsvSink`; ``.npz`` an :class:`NpzRecorder`.

    Raises
    ------
    TransportError
        If the target is neither a destination URL nor a ``.csv``/``.npz`` path, or cannot
        be opened.
    """
    if isinstance(target, str) and "://" in target:
        target = parse_destination(target)
    if isinstance(target, Destination):
        if target.scheme == "vrchat":
            return VRChatSink(target, ranges=ranges, parameters=parameters)
        return UdpSink(target, ranges=ranges, readout=readout)
    suffix = Path(target).suffix.lower()
    if suffix == ".csv":
        return LiveLinkCsvSink(target, ranges=ranges)
    if suffix == ".npz":
        return NpzRecorder(target)
    raise TransportError("is neither a destination URL nor a .csv/.npz file; expected e.g. "
                         "vmc://127.0.0.1:39539, osc://host:port, vrchat://, take.csv or "
                         "take.npz", source=os.fspath(target))
