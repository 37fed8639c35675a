"""Round trips to an independent receiver: liblo's ``oscdump`` (Debian package liblo-tools).

oscdump prints one line per message, ``<timetag> <address> <types> <args…>``; messages of one
bundle share the bundle's timetag, so a frame is a run of lines with one timetag. Skipped, with a
reason, when oscdump is missing outside CI; in CI (``CI=true``) a missing oscdump fails.
"""

from __future__ import annotations

import numpy as np
from receivers import bundles, running_oscdump, wait_for

from avatardrive.transport import LIVE_LINK_SHAPES, Frame, FrameClock, UdpSink

ARKIT = tuple(name[0].lower() + name[1:] for name in LIVE_LINK_SHAPES)
CHANNELS = ("AU1_L", "AU1_R", "AU12_L", "AU12_R")


def stream(port: int, url: str, count: int, *, au: bool = False) -> list[Frame]:
    """Send ``count`` frames at 60 Hz on the real clock; return them."""
    rng = np.random.default_rng(11)
    sent = []
    with UdpSink(url.format(port=port)) as sink:
        for tick in FrameClock(60.0).ticks(frames=count):
            values = rng.random(len(ARKIT)).astype(np.float32)
            extra = dict(channels=CHANNELS, au=rng.random(4).astype(np.float32)) if au else {}
            frame = Frame(tick.index, tick.time, ARKIT, values, **extra)  # type: ignore[arg-type]
            sink.send(frame)
            sent.append(frame)
        assert sink.stats.errors == 0
    return sent


def test_vmc_frames_arrive_whole_with_apply_last(oscdump: str) -> None:
    with running_oscdump(oscdump) as (port, lines):
        sent = stream(port, "vmc://127.0.0.1:{port}", 30)  # fewer if a loaded machine skips
        assert wait_for(
            lambda: (
                len(bundles(lines, "/VMC/")) >= len(sent) and len(bundles(lines, "/VMC/")[-1]) == 53
            )
        )
    received = bundles(lines, "/VMC/")
    assert len(received) == len(sent) >= 20
    for frame, group in zip(sent, received, strict=True):
        assert group[-1][1:] == ["/VMC/Ext/Blend/Apply"]
        values = group[:-1]
        assert [f[1:3] for f in values] == [["/VMC/Ext/Blend/Val", "sf"]] * 52
        assert [f[3].strip('"') for f in values] == list(ARKIT)
        np.testing.assert_allclose([float(f[4]) for f in values], frame.values, atol=6e-7)


def test_generic_frames_carry_every_shape_and_au_channel(oscdump: str) -> None:
    with running_oscdump(oscdump) as (port, lines):
        sent = stream(port, "osc://127.0.0.1:{port}?au=1", 20, au=True)
        total = len(sent) * 56
        assert wait_for(lambda: sum(len(b) for b in bundles(lines, "/avatardrive/")) >= total)
    received = bundles(lines, "/avatardrive/")
    assert len(received) == len(sent) >= 10
    for frame, group in zip(sent, received, strict=True):
        assert [f[1] for f in group] == (
            [f"/avatardrive/{n}" for n in ARKIT] + [f"/avatardrive/au/{c}" for c in CHANNELS]
        )
        assert {f[2] for f in group} == {"f"}
        expected = np.concatenate([frame.values, frame.au])
        np.testing.assert_allclose([float(f[3]) for f in group], expected, atol=6e-7)
