"""Hostile and unusual inputs: each is a clean one-line error or a finite, in-range result.

Regression tests for issue 10; the generated cases live in ``test_fuzz.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from avatardrive.facs import CHANNELS
from avatardrive.synth import blink_schedule, render
from avatardrive.timeline import Timeline, loads_timeline
from tests.conftest import run_cli

#: One line, short: "avatardrive: error: <file>: <where>: <what>; expected <what>".
SHORT_LINE = 400


def assert_clean_error(code: int, stderr: str, pattern: str = r"expected") -> None:
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("avatardrive: error: "), stderr[:300]
    assert len(stderr) <= SHORT_LINE, f"{len(stderr)} characters: {stderr[:300]}"
    assert __import__("re").search(pattern, stderr), stderr


# --- 1. short timelines ---------------------------------------------------------------------


def test_one_second_timeline_with_seed_1_renders(tmp_path: Path) -> None:
    timeline = tmp_path / "short.toml"
    timeline.write_text("version = 1\nseed = 1\nduration = 1.0\n")
    code, _, err = run_cli("render", str(timeline), "-o", str(tmp_path / "out.npz"))
    assert code == 0, err
    assert (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("duration", [0.001, 0.2, 1.0, 2.0, 5.0])
def test_short_timelines_render_for_every_seed(seed: int, duration: float) -> None:
    curves = render(Timeline(seed=seed, duration=duration, blink_rate=17))
    assert curves.n_frames == max(1, round(duration * 60))
    assert np.isfinite(curves.values).all()
    assert curves.values.min() >= 0.0 and curves.values.max() <= 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_lone_micro_expression_renders(seed: int) -> None:
    timeline = loads_timeline(
        f"version = 1\nseed = {seed}\n[[events]]\nemotion = 'happiness'\nmicro = true\nstart = 0\n"
    )
    curves = render(timeline)
    assert curves.names == CHANNELS
    assert 0.0 < curves.values.max() <= 1.0


def test_blink_schedule_may_be_empty_when_the_first_blink_falls_past_the_end() -> None:
    empties = [s for s in range(50) if len(blink_schedule(1.0, rate=17, seed=s)) == 0]
    assert empties, "some seed should draw its first blink after one second at 17 per minute"
    for seed in range(50):
        schedule = blink_schedule(1.0, rate=17, seed=seed)
        assert all(0.0 <= t < 1.0 for t in schedule.starts)
    assert math.isclose(len(blink_schedule(600.0, rate=17, seed=1)) / 10.0, 17, rel_tol=0.2)


# --- 2-3. numbers, nesting and short error lines -------------------------------------------

EVENT = "version = 1\n[[events]]\nemotion = 'happiness'\nstart = 1\n"

TIMELINES = {
    "intensity of 400 digits": (EVENT + "intensity = " + "9" * 400 + "\n", r"intensity"),
    "number of 5,000 digits": (EVENT + "intensity = " + "9" * 5000 + "\n", r"5000 digits"),
    "AU key of 5,000 digits": (
        "version = 1\n[[events]]\nstart = 1\naus = { AU" + "1" * 5000 + " = 0.5 }\n",
        r"unknown AU",
    ),
    "start 1e308, no duration": (
        "version = 1\n[[events]]\nemotion = 'happiness'\nstart = 1e308\n",
        r"needs endless .*expected under",
    ),
    "duration 1e12": ("version = 1\nduration = 1e12\n", r"1\.92e\+07 GiB"),
    "arrays nested 5,000 deep": ("version = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n", r"nests"),
    "tables nested 5,000 deep": ("version = 1\nx = " + "{a=" * 5000 + "1" + "}" * 5000, r"nests"),
    "emotion of 100,000 characters": (
        "version = 1\n[[events]]\nemotion = '" + "x" * 100_000 + "'\nstart = 1\n",
        r"unknown emotion 'x+\.\.\.x+'",
    ),
    "key of 100,000 characters": ("version = 1\n" + "k" * 100_000 + " = 1\n", r"unknown key"),
    "seed of 400 digits": ("version = 1\nseed = " + "7" * 400 + "\n", r"seed: <an integer of 400"),
}

JSON_TIMELINES = {
    "intensity of 400 digits": (
        '{"version": 1, "events": [{"emotion": "happiness", "start": 1, "intensity": '
        + "9" * 400
        + "}]}",
        r"intensity <an integer of 400 digits>",
    ),
    "number of 5,000 digits": ('{"version": 1, "seed": ' + "1" * 5000 + "}", r"5000 digits"),
    "arrays nested 100,000 deep": (
        '{"version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        r"nests too deeply",
    ),
}


@pytest.mark.parametrize("name", TIMELINES)
def test_hostile_timeline_numbers_and_nesting_are_one_short_line(tmp_path: Path, name: str) -> None:
    text, pattern = TIMELINES[name]
    path = tmp_path / "t.toml"
    path.write_text(text)
    for command in ("validate", "render"):
        argv = [command, str(path)] + (
            ["-o", str(tmp_path / "o.npz")] if command == "render" else []
        )
        code, _, err = run_cli(*argv)
        assert_clean_error(code, err, pattern)
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("name", JSON_TIMELINES)
def test_hostile_json_timelines_are_one_short_line(tmp_path: Path, name: str) -> None:
    text, pattern = JSON_TIMELINES[name]
    path = tmp_path / "t.json"
    path.write_text(text)
    assert_clean_error(*run_cli("validate", str(path))[::2], pattern)


RIGS = {
    "gain of 400 digits": ("gain = " + "9" * 400, r"gain: <an integer of 400 digits> is too large"),
    "weight of 5,000 digits": ("offset = " + "9" * 5000, r"5000 digits"),
    "gain 1e-50": ("gain = 1e-50", r"gain: 1e-50 is too small to invert"),
    "nested arrays": ("clamp = " + "[" * 3000 + "]" * 3000, r"nests too deeply"),
    "curve name of 100,000 characters": ("curve = '" + "c" * 100_000 + "'", r"not a response"),
}


@pytest.mark.parametrize("name", RIGS)
def test_hostile_rig_values_are_one_short_line(tmp_path: Path, name: str) -> None:
    line, pattern = RIGS[name]
    path = tmp_path / "r.toml"
    path.write_text(f"version = 1\n[[shapes]]\nname = 'a'\ninputs = {{ AU12 = 1.0 }}\n{line}\n")
    assert_clean_error(*run_cli("rig", "check", str(path))[::2], pattern)


def test_error_messages_quote_only_an_excerpt() -> None:
    from avatardrive.errors import TimelineError, excerpt

    assert excerpt("x" * 100_000).startswith("'xxx") and len(excerpt("x" * 100_000)) <= 60
    assert excerpt(10**400) == "<an integer of 401 digits>"
    assert len(excerpt([[[[[[[1]]]]]]] * 1000)) <= 60
    assert excerpt("a\nb") == "'a\\nb'"
    error = TimelineError("y" * 10_000 + "; expected z", source="s" * 500, where="line 1\n2")
    assert len(str(error)) < 400 and "\n" not in str(error)
    assert str(error).endswith("; expected z")
