"""Value parsers for command-line options, shared by every command (argparse ``type=``).

Each parses one option's text or raises ``argparse.ArgumentTypeError`` naming the text and what
was expected; argparse turns that into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

__all__ = [
    "at_least_one", "blink_rate", "fps", "image_size", "port_number", "seconds", "seed",
    "time_point",
]  # fmt: skip

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_SIZE_RANGE = (200, 10000)


def _number(
    text: str, convert: Callable[[str], float], *, what: str, ok: Callable[[float], bool],
    expected: str,
) -> float:  # fmt: skip
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; expected {expected}")
    return value


def fps(text: str) -> float:
    """Frames per second, 1 to 1000."""
    return _number(text, float, what="a number", ok=lambda v: 1.0 <= v <= 1000.0,
                   expected="1 to 1000")  # fmt: skip


def seconds(text: str) -> float:
    """A duration in seconds, above 0."""
    return _number(text, float, what="a number of seconds", ok=lambda v: v > 0.0,
                   expected="seconds above 0")  # fmt: skip


def time_point(text: str) -> float:
    """A time in seconds from the start, 0 or more."""
    return _number(text, float, what="a number of seconds", ok=lambda v: v >= 0.0,
                   expected="seconds >= 0")  # fmt: skip


def port_number(text: str) -> int:
    """A UDP port, 0 to 65535."""
    return int(_number(text, int, what="a port number", ok=lambda v: 0 <= v <= 65535,
                       expected="0 to 65535"))  # fmt: skip


def at_least_one(text: str) -> int:
    """A whole number, 1 or more."""
    return int(_number(text, int, what="a whole number", ok=lambda v: v >= 1,
                       expected="1 or more"))  # fmt: skip


def image_size(text: str) -> tuple[int, int]:
    """``WxH`` (e.g. ``1600x1000``) in pixels, each side 200 to 10000."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; expected WxH such as 1600x1000")
    width, height = int(match[1]), int(match[2])
    lo, hi = _SIZE_RANGE
    if not (lo <= width <= hi and lo <= height <= hi):
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range; expected each side {lo} to {hi} pixels"
        )
    return width, height


def blink_rate(text: str) -> float:
    """Blinks per minute, 0 to 120."""
    return _number(text, float, what="a number", ok=lambda v: 0.0 <= v <= 120.0,
                   expected="0 to 120 blinks per minute")  # fmt: skip


def seed(text: str) -> int:
    """A random seed, 0 to 2**32 - 1."""
    return int(_number(text, int, what="a whole number", ok=lambda v: 0 <= v < 2**32,
                       expected="0 to 4294967295"))  # fmt: skip
