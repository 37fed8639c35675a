"""Hostile OSC datagrams for the receivers' fuzz tests: random bytes, and near-OSC packets built
to reach deep into a parser (random type tags, sizes, nesting, truncations, bit flips)."""

from __future__ import annotations

import random
import struct

from avatardrive.transport._osc import osc_bundle, osc_message, osc_string

__all__ = ["random_datagrams"]

_VALID = (
    osc_message("/avatardrive/emotion", ["joy", 0.5]),
    osc_message("/avatardrive/au", ["AU12_L", 0.5, 1.0]),
    osc_message("/VMC/Ext/Blend/Val", ["Joy", 0.25]),
    osc_bundle([osc_message("/avatardrive/micro", ["fear", 0.3]),
                osc_message("/avatardrive/neutral")]),
)
_TAG_CHARS = "ifhdsbrmtTFNIcS[]$,\x00\xff"


def _random_message(rng: random.Random) -> bytes:
    """An address, a random type tag string, then random argument bytes."""
    address = "/" + "".join(rng.choice("abc/") for _ in range(rng.randrange(0, 12)))
    tags = "," + "".join(rng.choice(_TAG_CHARS) for _ in range(rng.randrange(0, 8)))
    body = rng.randbytes(rng.randrange(0, 40))
    raw = osc_string(address) + tags.encode("utf-8", "replace") + b"\x00" * rng.randrange(0, 5)
    return raw + body


def _random_bundle(rng: random.Random, depth: int) -> bytes:
    """A bundle whose element sizes may lie, nested up to ``depth``."""
    parts = [b"#bundle\x00", rng.randbytes(8)]
    for _ in range(rng.randrange(0, 4)):
        inner = (_random_bundle(rng, depth - 1) if depth > 0 and rng.random() < 0.3
                 else rng.choice([*_VALID, _random_message(rng)]))
        size = len(inner) if rng.random() < 0.7 else rng.randrange(-8, 80)
        parts += [struct.pack(">i", size), inner]
    return b"".join(parts)


def _mutated(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(_VALID))
    for _ in range(rng.randrange(1, 5)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data[: rng.randrange(1, len(data) + 1)])


def _deep(rng: random.Random) -> bytes:
    data = osc_message("/avatardrive/neutral")
    for _ in range(rng.randrange(1, 200)):
        data = osc_bundle([data])
    return data


def random_datagrams(rng: random.Random, count: int, *, max_size: int = 2000) -> list[bytes]:
    """``count`` hostile datagrams (at most ``max_size`` bytes), reproducible from ``rng``."""
    makers = (
        lambda: rng.randbytes(rng.randrange(0, 300)),
        lambda: b"/" + rng.randbytes(rng.randrange(0, 60)),
        lambda: b"#bundle\x00" + rng.randbytes(rng.randrange(0, 60)),
        lambda: _random_message(rng),
        lambda: _random_bundle(rng, 3),
        lambda: _mutated(rng),
        lambda: _deep(rng),
        lambda: rng.choice(_VALID) + rng.randbytes(rng.randrange(1, 9)),
    )
    return [rng.choice(makers)()[:max_size] for _ in range(count)]
