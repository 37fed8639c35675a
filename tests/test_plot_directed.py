"""Plots that show every curve: AU lanes, staggered lines, the mood lane, keyframe marks, and the
public ``avatardrive.views.plot``. The model is tested without Qt; the images off screen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from avatardrive import views
from avatardrive.curves import Curves, write_curves
from avatardrive.errors import AvatarDriveError, ParameterError
from avatardrive.synth import render
from avatardrive.timeline import MoodKey, Timeline
from avatardrive.views._plot_draw import EVENT_COLORS, lane_image
from avatardrive.views._plot_model import (
    MOOD_OWNER,
    TRACE_STEP,
    UNOWNED,
    authoring_figure,
    curves_figure,
)
from avatardrive.views._plot_qt import Qt

FEAR = (1, 2, 4, 5, 7, 20, 26)


def two_micro_expressions() -> Timeline:
    scene = Timeline(fps=60, duration=4.0, seed=3, blink_rate=0.0)
    scene.micro("fear", at=0.5, label="micro fear", sample=False, intensity=0.3, side_lag=0.0,
                style="posed", lags={f"AU{n}": 0.0 for n in FEAR})  # fmt: skip
    scene.micro("surprise", at=2.0, label="micro surprise", sample=False, intensity=0.3)
    return scene


def test_seven_aus_peaking_together_get_seven_lanes_and_apart_lines() -> None:
    figure = authoring_figure(two_micro_expressions())
    assert figure.lanes is not None
    assert figure.lanes.labels == tuple(f"AU{n}" for n in FEAR)  # face order: brow to jaw
    peak = figure.lanes.values[:, int(0.65 * 60)]
    assert np.allclose(peak, 0.3, atol=0.01)  # all seven at 0.30, each in its own lane
    brow = next(p for p in figure.regions if p.title == "brow")
    drawn_peaks = sorted({round(float(t.drawn().max()), 4) for t in brow.traces})
    assert len(drawn_peaks) == 3  # AU1, AU2, AU4: three lines, not one
    assert np.allclose(np.diff(drawn_peaks), TRACE_STEP, atol=1e-3)
    for trace in brow.traces:  # at rest every line stays on 0
        assert trace.drawn()[0] == 0.0


def test_two_micro_expressions_differ_in_colour_without_labels() -> None:
    figure = authoring_figure(two_micro_expressions())
    assert figure.lanes is not None
    fear_cells = figure.lanes.owners[:, int(0.65 * 60)]
    surprise_cells = figure.lanes.owners[:2, int(2.15 * 60)]  # AU1, AU2
    assert set(fear_cells.tolist()) == {0}
    assert set(surprise_cells.tolist()) == {1}
    image = lane_image(figure.lanes)
    fear_rgb, surprise_rgb = image[0, int(0.65 * 60), :3], image[0, int(2.15 * 60), :3]
    assert np.abs(fear_rgb.astype(int) - surprise_rgb.astype(int)).sum() > 100
    assert np.all(image[:, 0, :3] == 255)  # an AU at rest is white


def test_spans_carry_their_keyframes_and_transitions_keep_one_span() -> None:
    scene = Timeline(fps=60, duration=20.0, blink_rate=0.0)
    scene.emotion("happiness", at=1.0, label="smile", hold=True, sample=False)
    scene.emotion("sadness", at=5.0, keys=[(0, 0.4), (3.5, 0.8)], after="smile", label="grief")
    figure = authoring_figure(scene)
    smile, grief = figure.spans
    assert grief.keys == (5.0, 8.5)
    assert smile.end > 5.0  # lasts while its own AUs release after the handover
    assert len(figure.spans) == 2  # the release is part of the smile, not an event of its own
    assert figure.lanes is not None
    smile_lane = figure.lanes.labels.index("AU12")
    assert figure.lanes.owners[smile_lane, int(5.2 * 60)] == smile.color


def test_the_mood_gets_its_own_lane_with_its_keyframes() -> None:
    scene = Timeline(fps=60, duration=10.0, blink_rate=0.0,
                     mood=[MoodKey(1.0, 0.8, 0.5), MoodKey(7.0, -0.7, -0.3)])  # fmt: skip
    figure = authoring_figure(scene, start=2.0)
    assert figure.mood is not None
    assert figure.mood.keys == ((7.0, -0.7, -0.3),)  # the one inside the window
    assert figure.mood.valence[-1] == pytest.approx(-0.7)
    assert figure.lanes is not None
    sad = figure.lanes.labels.index("AU15")
    assert figure.lanes.owners[sad, -1] == MOOD_OWNER
    assert authoring_figure(two_micro_expressions()).mood is None


def test_curves_without_a_timeline_plot_too() -> None:
    curves = render(two_micro_expressions())
    figure = curves_figure(curves, title="take")
    assert figure.spans == () and figure.lanes is not None
    assert set(np.unique(figure.lanes.owners).tolist()) == {UNOWNED}
    with pytest.raises(ParameterError, match=r"expected the AU channels"):
        curves_figure(Curves(curves.values[:, :3], fps=60, names=("a", "b", "c")))


def test_lanes_bin_to_the_strongest_frame() -> None:
    figure = authoring_figure(two_micro_expressions())
    assert figure.lanes is not None
    binned = figure.lanes.binned(40)
    assert binned.values.shape == (7, 40)
    assert binned.values.max() == pytest.approx(figure.lanes.values.max())
    assert figure.lanes.binned(10_000) is figure.lanes


# -- the public plot(), off screen ---------------------------------------------------------------


def test_plot_writes_a_png_of_a_timeline_curves_or_files(qt: Qt, tmp_path: Path) -> None:
    scene = two_micro_expressions()
    first = views.plot(scene, path=tmp_path / "scene.png", size=(900, 600))
    assert (tmp_path / "scene.png").stat().st_size > 10_000
    assert first.lanes is not None
    views.plot(render(scene), path=str(tmp_path / "curves.png"), size=(900, 600), rig="arkit52")
    scene.save(str(tmp_path / "scene.toml"))
    write_curves(render(scene), tmp_path / "take.csv")
    from_file = views.plot(tmp_path / "scene.toml", path=tmp_path / "file.png", size=(900, 600))
    assert len(from_file.spans) == 2
    take = views.plot(tmp_path / "take.csv", path=tmp_path / "take.png", size=(900, 600))
    assert take.title.startswith("take.csv")
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "curves.png", "file.png", "scene.png", "take.png",
    ]  # fmt: skip


def test_plot_refuses_a_bad_target_before_any_work(qt: Qt, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"expected \.png"):
        views.plot(two_micro_expressions(), path=tmp_path / "scene.jpg")
    with pytest.raises(ParameterError, match=r"does not exist"):
        views.plot(two_micro_expressions(), path=tmp_path / "missing" / "scene.png")
    with pytest.raises(AvatarDriveError, match=r"cannot open a plot window.*path="):
        views.plot(two_micro_expressions())  # offscreen: no window possible
    assert list(tmp_path.iterdir()) == []


def test_the_micro_expressions_show_in_two_colours_in_the_image(qt: Any, tmp_path: Path) -> None:
    figure = views.plot(two_micro_expressions(), path=tmp_path / "m.png")
    image = qt.gui.QImage(str(tmp_path / "m.png"))
    array = qt.pg.functions.imageToArray(
        image.convertToFormat(qt.gui.QImage.Format.Format_ARGB32), copy=True, transpose=False
    )[..., 2::-1].astype(int)  # ARGB32 is B, G, R, A in memory
    assert figure.lanes is not None
    cells = lane_image(figure.lanes)
    for span, when in zip(figure.spans, (0.65, 2.15), strict=True):  # each in its own colour
        expected = cells[0, int(when * 60), :3].astype(int)
        close = np.abs(array - expected).sum(axis=-1) < 12
        assert close.sum() > 200, span.name
        bar = np.array([int(EVENT_COLORS[span.color][i : i + 2], 16) for i in (1, 3, 5)])
        assert np.abs(bar - 255).sum() > np.abs(expected - 255).sum()  # the bar's hue, paler
