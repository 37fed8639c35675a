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
    code, out, err = run_cli("render", str(timeline), "-o", str(tmp_path / "out.npz"))
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
