"""VRChat: what discovery, typed parameters and binary bits cost per frame, and what they send.

Streams a rendered timeline (``demo/timelines/conversation.toml``, 60 fps) through three
``vrchat://`` paths to a local socket nobody reads, and prints for each the cost of one frame
(retarget excluded: the same rig frames are fed to all three) and the messages per second:

- ``blind``: the pre-discovery behaviour, 62 ``vrcft`` rig floats (``UdpSink``, the baseline);
- ``template``: a face-tracking template avatar (floats kept local, 1/2/4-bit binary bools plus
  ``Negative`` bits synced, tracking flags), as ``?avatar=FILE.json``;
- ``force_all``: every drivable v2 parameter as a float (``?force_all=1``).

Ratios are against ``blind`` measured in the same run.

    python benchmarks/bench_vrchat.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from pathlib import Path

import numpy as np

from avatardrive.facs import CHANNELS
from avatardrive.retarget import VRCFTParameters, load_rig
from avatardrive.synth import render
from avatardrive.timeline import load_timeline
from avatardrive.transport import Frame, Sink, UdpSink, VRChatSink

ROOT = Path(__file__).resolve().parent.parent
FT = "/avatar/parameters/FT/v2/"
BINARY = {  # name -> bits, as the common template syncs them
    "JawOpen": 3, "MouthOpen": 3, "SmileSadLeft": 3, "SmileSadRight": 3, "BrowExpressionLeft": 3,
    "BrowExpressionRight": 3, "EyeLidLeft": 3, "EyeLidRight": 3, "CheekPuffSuckLeft": 2,
    "CheekPuffSuckRight": 2, "LipFunnel": 2, "LipPucker": 2, "MouthUpperUpLeft": 2,
    "MouthUpperUpRight": 2, "MouthLowerDownLeft": 2, "MouthLowerDownRight": 2,
}  # fmt: skip
SIGNED = {"SmileSadLeft", "SmileSadRight", "BrowExpressionLeft", "BrowExpressionRight",
          "CheekPuffSuckLeft", "CheekPuffSuckRight"}
FLOATS = ["EyeLeftX", "EyeRightX", "EyeY", *BINARY]


def template_config() -> dict[str, object]:
    def entry(address: str, kind: str) -> dict[str, object]:
        io = {"address": address, "type": kind}
        return {"name": address.removeprefix("/avatar/parameters/"), "input": io, "output": io}

    parameters = [entry(FT + name, "Float") for name in FLOATS]
    for name, bits in BINARY.items():
        parameters += [entry(f"{FT}{name}{1 << k}", "Bool") for k in range(bits)]
        if name in SIGNED:
            parameters.append(entry(f"{FT}{name}Negative", "Bool"))
    parameters += [entry(f"/avatar/parameters/{flag}", "Bool") for flag in
                   ("EyeTrackingActive", "ExpressionTrackingActive", "LipTrackingActive")]
    return {"id": "avtr_bench", "name": "template", "parameters": parameters}


def run(sink: Sink, frames: list[Frame]) -> tuple[float, int]:
    """Seconds per frame (median of per-frame times) and datagrams sent."""
    times = np.empty(len(frames))
    for k, frame in enumerate(frames):
        start = time.perf_counter()
        sink.send(frame)
        times[k] = time.perf_counter() - start
    datagrams = sink.stats.datagrams  # type: ignore[attr-defined]
    sink.close()
    return float(np.median(times)), datagrams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    timeline = load_timeline(ROOT / "demo" / "timelines" / "conversation.toml")
    au = render(timeline).values
    fps = 60
    au = au[: int(args.seconds * fps)]
    rig = load_rig("vrcft")
    weights = rig.forward_frame
    frames = [Frame(k, k / fps, rig.shape_names, weights(row).copy(), CHANNELS, row)
              for k, row in enumerate(au)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nobody, \
            tempfile.TemporaryDirectory() as folder:
        nobody.bind(("127.0.0.1", 0))
        port = nobody.getsockname()[1]
        config = Path(folder) / "avatar.json"
        config.write_text(json.dumps(template_config()), encoding="utf-8-sig")
        base = f"vrchat://127.0.0.1:{port}"
        paths = {
            "blind": UdpSink(base),
            "template": VRChatSink(f"{base}?avatar={config}&listen=off&oscquery=off",
                                   parameters=VRCFTParameters),
            "force_all": VRChatSink(f"{base}?force_all=1", parameters=VRCFTParameters),
        }
        seconds = len(frames) / fps
        print(f"{len(frames)} frames ({seconds:.0f} s at {fps} fps) of conversation.toml")
        baseline = None
        for label, sink in paths.items():
            per_frame, datagrams = run(sink, frames)
            baseline = baseline or per_frame
            print(f"  {label:<10} {per_frame * 1e6:7.1f} us/frame ({per_frame / baseline:4.1f}x "
                  f"blind)  {datagrams / seconds:7.0f} messages/s")


if __name__ == "__main__":
    main()
