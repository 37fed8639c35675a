"""Tests of avatardrive.curves: the container, blend, and the CSV/NPZ/JSON files."""

from __future__ import annotations

import ast
import json
import math
import sys
from pathlib import Path
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import avatardrive.curves
from avatardrive.curves import (
    CURVE_SUFFIXES,
    Curves,
    _writer,
    au_curves,
    blend,
    read_au_curves,
    read_curves,
    write_curves,
    zeros,
)
from avatardrive.errors import CurveError, ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index

FPS_CHOICES = (24.0, 25.0, 29.97, 30.0, 50.0, 60.0, 120.0, 240.0)
CURVES_DIR = Path(avatardrive.curves.__file__).parent

fps_values = st.sampled_from(FPS_CHOICES)
# Starts in whole milliseconds: exactly what the CSV time column (10 significant digits) keeps.
starts = st.integers(-1_000_000, 1_000_000).map(lambda k: k / 1000)


def unit_arrays(rows: st.SearchStrategy[int], columns: int) -> st.SearchStrategy[Any]:
    """float32 arrays shaped (rows, columns), finite values in [0, 1] (subnormals included)."""
    return rows.flatmap(
        lambda n: hnp.arrays(np.float32, (n, columns), elements=st.floats(0, 1, width=32))
    )


def small(values: Any, *, fps: float = 10.0, start: float = 0.0, names: Any = ("a", "b")) -> Curves:
    return Curves(np.asarray(values, dtype=np.float32), fps=fps, start=start, names=names)


# ------------------------------------------------------------------------------ public surface


def test_public_names_are_exactly_the_intended_ones() -> None:
    assert set(avatardrive.curves.__all__) == {
        "BLEND_POLICIES",
        "CURVE_SUFFIXES",
        "CurveWriter",
        "Curves",
        "au_curves",
        "blend",
        "from_samples",
        "read_au_curves",
        "read_curves",
        "write_curves",
        "zeros",
    }
    for name in avatardrive.curves.__all__:
        assert getattr(avatardrive.curves, name) is not None
    assert CURVE_SUFFIXES == (".csv", ".npz", ".json")


def test_curves_imports_only_numpy_stdlib_facs_errors_and_files() -> None:
    allowed_own = {"avatardrive.facs", "avatardrive.errors", "avatardrive._files"}
    for path in CURVES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if module.startswith("avatardrive.curves"):
                    continue
                ok = top in sys.stdlib_module_names or top == "numpy" or module in allowed_own
                assert ok, f"{path.name} imports {module}"


# ---------------------------------------------------------------------------------- container


def test_au_curves_are_float32_c_contiguous_with_the_channel_names() -> None:
    source = np.linspace(0, 1, 3 * N_CHANNELS).reshape(N_CHANNELS, 3).T  # float64, not C order
    curves = au_curves(source, fps=30)
    assert curves.names == CHANNELS
    assert curves.values.dtype == np.float32
    assert curves.values.flags.c_contiguous
    assert curves.values.shape == (3, N_CHANNELS)
    np.testing.assert_array_equal(curves.values, source.astype(np.float32))
    assert curves.fps == 30.0 and isinstance(curves.fps, float)
    assert curves.start == 0.0


def test_times_duration_and_end() -> None:
    curves = small(np.zeros((4, 2)), fps=2.0, start=1.0)
    times = curves.times()
    assert times.dtype == np.float64
    np.testing.assert_array_equal(times, [1.0, 1.5, 2.0, 2.5])
    assert curves.n_frames == 4
    assert curves.duration == 2.0
    assert curves.end == 3.0


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"fps": 0}, r"fps is 0\.0; expected a frame rate above 0"),
        ({"fps": -30}, r"fps is -30\.0"),
        ({"fps": math.nan}, r"fps is nan; expected a finite number"),
        ({"fps": math.inf}, r"fps is inf"),
        ({"fps": True}, r"fps is True; expected a number"),
        ({"fps": "30"}, r"fps is '30'; expected a number"),
        ({"fps": 30, "start": math.nan}, r"start is nan"),
        ({"fps": 30, "start": -math.inf}, r"start is -inf"),
        ({"fps": 30, "names": ("a",)}, r"shape \(2, 2\); expected \(frames, 1\)"),
        ({"fps": 30, "names": ("a", "A")}, r"names\[1\] 'A' repeats names\[0\] 'a'"),
        ({"fps": 30, "names": ("a", "time")}, r"names\[1\]: 'time' is reserved"),
        ({"fps": 30, "names": ("a", "")}, r"names\[1\]: empty name"),
        ({"fps": 30, "names": ("a", " b")}, r"names\[1\]: ' b' has white space"),
        ({"fps": 30, "names": ("a", "b\nc")}, r"control character"),
        ({"fps": 30, "names": ("a", 7)}, r"names\[1\]: 7 is a int; expected a string"),
        ({"fps": 30, "names": "ab"}, r"expected a sequence of column names"),
    ],
)
def test_construction_rejects_bad_arguments(kwargs: dict[str, Any], pattern: str) -> None:
    kwargs.setdefault("names", ("a", "b"))
    with pytest.raises(ParameterError, match=pattern):
        Curves(np.zeros((2, 2)), **kwargs)


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (np.zeros(4), r"shape \(4,\); expected \(frames, 2\)"),
        (np.zeros((2, 2, 2)), r"shape \(2, 2, 2\)"),
        ([["a", "b"]], r"dtype <U1; expected real numbers"),
        ([[1, None]], r"dtype object"),
        ([[1, 2], [3]], r"cannot be read as an array"),
        (np.zeros((2, 2), dtype=complex), r"dtype complex128"),
    ],
)
def test_construction_rejects_bad_values(values: Any, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        Curves(values, fps=30, names=("a", "b"))


def test_zeros_and_its_errors() -> None:
    curves = zeros(5, fps=60, start=2.0)
    assert curves.values.shape == (5, N_CHANNELS) and not curves.values.any()
    assert curves.names == CHANNELS and curves.start == 2.0
    assert zeros(0, fps=60, names=["x"]).values.shape == (0, 1)
    for bad in (-1, 2.5, True):
        with pytest.raises(ParameterError, match="n_frames"):
            zeros(bad, fps=60)  # type: ignore[arg-type]


def test_column_and_index_are_case_insensitive_and_column_is_a_view() -> None:
    curves = au_curves(np.zeros((3, N_CHANNELS)), fps=30)
    assert curves.index("au12_l") == channel_index("AU12_L") == CHANNELS.index("AU12_L")
    column = curves.column("Au12_R")
    assert column.shape == (3,)
    column[1] = 0.5
    assert curves.values[1, CHANNELS.index("AU12_R")] == np.float32(0.5)
    with pytest.raises(ParameterError, match=r"unknown column 'AU99_L'; expected one of 'AU1_L'"):
        curves.column("AU99_L")


def test_select_reorders_and_rejects_unknown_or_repeated_names() -> None:
    curves = small([[1, 2], [3, 4]])
    picked = curves.select(["B", "a"])
    assert picked.names == ("b", "a")
    np.testing.assert_array_equal(picked.values, [[2, 1], [4, 3]])
    assert picked.values.flags.c_contiguous
    assert curves.select(["a"]).values.shape == (2, 1)
    with pytest.raises(ParameterError, match="unknown column 'c'"):
        curves.select(["c"])
    with pytest.raises(ParameterError, match="repeats"):
        curves.select(["a", "A"])


def test_repr_is_short_and_informative() -> None:
    text = repr(small(np.zeros((3, 2)), fps=30))
    assert text == "Curves(3 frames x 2 columns, fps=30, start=0, duration=0.1 s)"


def test_equals_compares_names_fps_start_shape_and_values() -> None:
    base = small([[0.5, 0.25]], fps=30, start=1.0)
    assert base.equals(small([[0.5, 0.25]], fps=30, start=1.0 + 1e-12))
    assert not base.equals(small([[0.5, 0.25]], fps=30, start=1.0 + 1e-6))
    assert not base.equals(small([[0.5, 0.25]], fps=29.97, start=1.0))
    assert not base.equals(small([[0.5, 0.25]], fps=30, start=1.0, names=("a", "c")))
    assert not base.equals(small([[0.5, 0.25], [0, 0]], fps=30, start=1.0))
    near = small([[0.5, 0.2501]], fps=30, start=1.0)
    assert not base.equals(near)
    assert base.equals(near, atol=1e-3)
    assert not base.equals("not curves")
    with_nan = small([[math.nan, 1]])
    assert with_nan.equals(small([[math.nan, 1]]))
    with pytest.raises(ParameterError, match="atol"):
        base.equals(base, atol=-1)


# ------------------------------------------------------------------------------------- slice


def test_slice_keeps_half_open_interval_and_moves_start() -> None:
    curves = small(np.arange(20).reshape(10, 2), fps=10.0, start=1.0)  # times 1.0 .. 1.9
    part = curves.slice(1.2, 1.5)
    np.testing.assert_array_equal(part.values[:, 0], [4, 6, 8])  # frames 2, 3, 4
    assert part.start == pytest.approx(1.2, abs=1e-12)
    assert part.fps == 10.0
    assert curves.slice(-math.inf, math.inf).equals(curves)
    assert curves.slice(5.0, 6.0).n_frames == 0
    assert curves.slice(1.25, 1.25).n_frames == 0
    # 0.3 is not exact in binary; frame 3 at 0.1 fps spacing still counts as at t0
    assert small(np.zeros((10, 2)), fps=10.0).slice(0.3, 0.6).n_frames == 3
    part.values[0, 0] = 99
    assert curves.values[2, 0] == 4  # a copy


def test_slice_rejects_reversed_or_nan_bounds() -> None:
    curves = small(np.zeros((4, 2)))
    with pytest.raises(ParameterError, match=r"ends before it starts"):
        curves.slice(0.3, 0.1)
    with pytest.raises(ParameterError, match=r"t0 is nan"):
        curves.slice(math.nan, 1.0)


@given(
    n=st.integers(0, 40),
    fps=fps_values,
    start=starts,
    cuts=st.lists(st.floats(-0.5, 2.5), min_size=3, max_size=3),
    snap=st.booleans(),
)
def test_adjacent_slices_join_into_the_whole(
    n: int, fps: float, start: float, cuts: list[float], snap: bool
) -> None:
    values = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    curves = small(values, fps=fps, start=start)
    a, b, c = sorted(cuts)
    if snap:  # cut exactly on frame times, where float error matters most
        a, b, c = (start + round(x * fps) / fps for x in (a, b, c))
    else:
        a, b, c = (start + x for x in (a, b, c))
    left, right, whole = curves.slice(a, b), curves.slice(b, c), curves.slice(a, c)
    np.testing.assert_array_equal(np.vstack([left.values, right.values]), whole.values)
    if whole.n_frames:
        assert whole.start == left.start
        assert right.start == pytest.approx(left.start + left.n_frames / fps, abs=1e-9)
    tol = 1e-5 / fps
    times = whole.times()
    assert np.all(times >= a - tol) and np.all(times < c + tol)
    everything = curves.times()
    expected = int(np.count_nonzero((everything >= a - tol) & (everything < c - tol)))
    assert abs(whole.n_frames - expected) <= 1


# ---------------------------------------------------------------------------------- resample


@given(n=st.integers(0, 30), fps=fps_values, data=st.data())
def test_resample_to_the_same_fps_is_the_identity(n: int, fps: float, data: st.DataObject) -> None:
    values = data.draw(
        hnp.arrays(np.float32, (n, 3), elements=st.floats(-10, 10, width=32)), label="values"
    )
    curves = Curves(values, fps=fps, start=0.5, names=("a", "b", "c"))
    same = curves.resample(fps)
    assert same.equals(curves)
    assert same.values.dtype == np.float32


@given(
    n=st.integers(2, 60),
    old=fps_values,
    new=fps_values,
    start=starts,
    intercept=st.floats(-1, 1),
    slope=st.floats(-2, 2),
)
def test_resampling_a_linear_ramp_gives_a_linear_ramp(
    n: int, old: float, new: float, start: float, intercept: float, slope: float
) -> None:
    t = np.arange(n) / old
    values = np.stack([intercept + slope * t, intercept - slope * t], axis=1)
    curves = small(values, fps=old, start=start)
    out = curves.resample(new)
    assert out.values.dtype == np.float32
    assert out.fps == new and out.start == start
    rounded = math.floor(n * new / old + 0.5 + 1e-6)
    assert out.n_frames == max(1, rounded)
    if rounded >= 1:  # the same duration, to the nearest new frame
        assert abs(out.duration - curves.duration) <= 0.5 / new + 1e-9
    t_new = np.arange(out.n_frames) / new
    inside = t_new <= (n - 1) / old + 1e-9
    np.testing.assert_allclose(out.values[inside, 0], intercept + slope * t_new[inside], atol=2e-6)
    np.testing.assert_allclose(out.values[inside, 1], intercept - slope * t_new[inside], atol=2e-6)
    # past the last original frame, the last value holds
    np.testing.assert_array_equal(
        out.values[~inside], np.broadcast_to(curves.values[-1], (int(np.count_nonzero(~inside)), 2))
    )


def test_resample_halves_and_doubles_frames() -> None:
    curves = small(np.stack([np.arange(6), np.zeros(6)], axis=1), fps=10.0)
    down = curves.resample(5.0)
    np.testing.assert_array_equal(down.values[:, 0], [0, 2, 4])
    up = curves.resample(20.0)
    assert up.n_frames == 12
    np.testing.assert_array_equal(up.values[:, 0], [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5])
    assert small(np.zeros((0, 2))).resample(30).n_frames == 0
    with pytest.raises(ParameterError, match="fps is 0"):
        curves.resample(0)


# ------------------------------------------------------------------------------------- clamp


def test_clamp_kills_nan_and_inf() -> None:
    curves = small([[math.nan, math.inf], [-math.inf, 0.5], [1.5, -0.25]])
    out = curves.clamp()
    np.testing.assert_array_equal(out.values, [[0, 1], [0, 0.5], [1, 0]])
    expected = np.float32([[0.2, 0.8], [0.2, 0.5], [0.8, 0.2]])
    np.testing.assert_array_equal(curves.clamp(0.2, 0.8).values, expected)
    assert math.isnan(curves.values[0, 0])  # the original is untouched
    with pytest.raises(ParameterError, match=r"clamp range \[1\.0, 0\.0\] is empty"):
        curves.clamp(1.0, 0.0)


@given(hnp.arrays(np.float32, (5, 2), elements=st.floats(width=32, allow_nan=True)))
def test_clamp_output_is_finite_and_within_range(values: Any) -> None:
    out = small(values).clamp(0.0, 1.0).values
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
    finite = np.isfinite(values)
    np.testing.assert_array_equal(out[finite], np.clip(values[finite], 0, 1))


# ------------------------------------------------------------------------------------- blend


def test_blend_max_sum_and_priority_on_hand_made_layers() -> None:
    low = small([[0.2, 0.8], [0.6, 0.0]])
    high = small([[0.5, 0.4], [0.0, 0.7]])
    np.testing.assert_array_equal(blend([low, high]).values, np.float32([[0.5, 0.8], [0.6, 0.7]]))
    total = blend([low, high], policy="sum").values
    np.testing.assert_allclose(total, [[0.7, 1.0], [0.6, 0.7]], rtol=0, atol=1e-7)
    # priority, default weights: the later layer wins wherever it is above 0
    np.testing.assert_array_equal(
        blend([low, high], policy="priority").values, np.float32([[0.5, 0.4], [0.6, 0.7]])
    )


def test_blend_priority_weight_half_mixes_halfway() -> None:
    low = small([[0.2, 0.8], [0.6, 0.0]])
    high = small([[1.0, 0.4], [0.0, 0.7]])
    out = blend([low, high], policy="priority", weights=[None, np.full(2, 0.5)]).values
    np.testing.assert_allclose(out, [[0.6, 0.6], [0.3, 0.35]], atol=1e-7)
    per_channel = np.array([[1.0, 0.0], [0.25, 0.5]])
    out = blend([low, high], policy="priority", weights=[None, per_channel]).values
    np.testing.assert_allclose(out, [[1.0, 0.8], [0.45, 0.35]], atol=1e-7)
    # a weight of 0 leaves the lower layer alone, even over zeros
    out = blend([low, high], policy="priority", weights=[None, np.zeros(2)]).values
    np.testing.assert_array_equal(out, low.values)


def test_blend_spans_the_union_and_layers_add_zero_outside_their_span() -> None:
    early = small([[0.5, 0.5], [0.5, 0.5]], fps=10.0, start=1.0)  # frames at 1.0, 1.1
    late = small([[0.25, 1.0]], fps=10.0, start=1.3)  # frame at 1.3
    for policy in ("max", "sum", "priority"):
        out = blend([late, early], policy=policy)
        assert out.start == 1.0 and out.n_frames == 4
        np.testing.assert_array_equal(
            out.values, np.float32([[0.5, 0.5], [0.5, 0.5], [0, 0], [0.25, 1.0]])
        )


def test_blend_rejects_layers_that_do_not_fit_together() -> None:
    base = small(np.zeros((2, 2)), fps=30.0)
    with pytest.raises(CurveError, match=r"layers\[1\]: fps is 60; expected 30 as in layers\[0\]"):
        blend([base, small(np.zeros((2, 2)), fps=60.0)])
    with pytest.raises(CurveError, match=r"layers\[1\]: column 1 is 'c'; expected 'b'"):
        blend([base, small(np.zeros((2, 2)), fps=30.0, names=("a", "c"))])
    with pytest.raises(CurveError, match=r"layers\[1\]: has 1 columns; expected the 2"):
        blend([base, small(np.zeros((2, 1)), fps=30.0, names=("a",))])
    with pytest.raises(CurveError, match=r"layers\[1\]: start 0\.01 is 0\.3 frame off"):
        blend([base, small(np.zeros((2, 2)), fps=30.0, start=0.01)])
    # names differing only in case fit, and starts a whole number of frames apart fit
    shifted = small(np.ones((1, 2)), fps=30.0, start=2 / 30, names=("A", "B"))
    assert blend([base, shifted]).n_frames == 3


def test_blend_rejects_bad_arguments() -> None:
    base = small(np.zeros((2, 2)))
    choices = r"policy 'avg' is not one of 'max', 'sum', 'priority'"
    with pytest.raises(ParameterError, match=choices):
        blend([base], policy="avg")
    with pytest.raises(ParameterError, match="layers is empty"):
        blend([])
    with pytest.raises(ParameterError, match="expected a sequence of Curves"):
        blend(base)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"layers\[1\] is a int"):
        blend([base, 3])  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="weights apply to policy 'priority' only"):
        blend([base], weights=[None])
    with pytest.raises(ParameterError, match="weights has 1 entries; expected 2"):
        blend([base, base], policy="priority", weights=[None])
    with pytest.raises(ParameterError, match=r"weights\[0\] has shape \(3,\)"):
        blend([base], policy="priority", weights=[np.ones(3)])
    with pytest.raises(ParameterError, match=r"weights\[0\]\[1\] is 1\.5; expected \[0, 1\]"):
        blend([base], policy="priority", weights=[np.array([0.5, 1.5])])
    with pytest.raises(ParameterError, match=r"weights\[0\]\[0, 1\] is nan"):
        blend([base], policy="priority", weights=[np.array([[0, math.nan], [0, 0]])])


def test_blend_never_outputs_nan() -> None:
    bad = small([[math.nan, math.inf], [-math.inf, 2.0]])
    for policy in ("max", "sum", "priority"):
        out = blend([bad, bad], policy=policy).values
        np.testing.assert_array_equal(out, [[0, 1], [0, 1]])


layer_values = st.integers(1, 6).flatmap(
    lambda n: hnp.arrays(
        np.float32, (n, 3), elements=st.floats(width=32, allow_nan=True, allow_infinity=True)
    )
)


@given(
    layers=st.lists(st.tuples(layer_values, st.integers(-4, 4)), min_size=1, max_size=4),
    policy=st.sampled_from(["max", "sum", "priority"]),
)
def test_blend_output_lies_in_unit_range(layers: list[tuple[Any, int]], policy: str) -> None:
    fps = 25.0
    curves = [Curves(v, fps=fps, start=offset / fps, names=("x", "y", "z")) for v, offset in layers]
    out = blend(curves, policy=policy)
    assert out.values.dtype == np.float32
    assert np.all(np.isfinite(out.values))
    assert np.all((out.values >= 0) & (out.values <= 1))
    first = min(offset for _, offset in layers)
    last = max(offset + v.shape[0] for v, offset in layers)
    assert out.n_frames == last - first
    assert out.start == pytest.approx(first / fps, abs=1e-12)
    if policy == "max":  # the maximum covers every layer, clamped
        for v, offset in layers:
            a = offset - first
            clamped = small(v, names=("x", "y", "z")).clamp().values
            assert np.all(out.values[a : a + v.shape[0]] >= clamped)


# ---------------------------------------------------------------------------------- files


@settings(max_examples=60, deadline=None)
@given(
    values=unit_arrays(st.integers(0, 12), 4),
    fps=fps_values,
    start=starts,
    suffix=st.sampled_from([".csv", ".npz", ".json", ".CSV", ".Json"]),
)
def test_files_round_trip_exactly(
    tmp_path_factory: pytest.TempPathFactory, values: Any, fps: float, start: float, suffix: str
) -> None:
    names = ("AU12_L", "jawOpen", "Brow Up", "ñame")
    curves = Curves(values, fps=fps, start=start, names=names)
    n = values.shape[0]
    if suffix.lower() == ".csv" and n == 0:
        curves = Curves(values, fps=fps, start=0.0, names=names)  # an empty table has no start
    path = tmp_path_factory.mktemp("round") / f"curves{suffix}"
    write_curves(curves, path)
    back = read_curves(path, fps=None if n >= 2 else fps)
    assert back.equals(curves)
    assert back.values.tobytes() == curves.values.tobytes()  # bit for bit, -0.0 included


@settings(max_examples=15, deadline=None)
@given(values=unit_arrays(st.integers(1, 4), N_CHANNELS), fps=fps_values, start=starts)
def test_au_files_round_trip_with_every_channel(
    tmp_path_factory: pytest.TempPathFactory, values: Any, fps: float, start: float
) -> None:
    curves = au_curves(values, fps=fps, start=start)
    folder = tmp_path_factory.mktemp("au")
    for suffix in (".csv", ".npz", ".json"):
        write_curves(curves, folder / f"au{suffix}")
        back = read_au_curves(folder / f"au{suffix}", fps=fps)
        assert back.equals(curves) and back.names == CHANNELS


def test_csv_layout(tmp_path: Path) -> None:
    curves = small([[0.1, 1.0], [0.0, 1 / 3]], fps=30.0, start=0.5, names=("AU12_L", "a,b"))
    write_curves(curves, tmp_path / "out.csv")
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert text == 'time,AU12_L,"a,b"\n0.5,0.100000001,1\n0.5333333333,0,0.333333343\n'
    assert read_curves(tmp_path / "out.csv").equals(curves)


def test_json_layout_is_one_row_per_line(tmp_path: Path) -> None:
    curves = small([[0.1, 1.0], [0.0, 0.5]], fps=30.0)
    write_curves(curves, tmp_path / "out.json")
    text = (tmp_path / "out.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert document == {
        "version": 1,
        "fps": 30.0,
        "start": 0.0,
        "names": ["a", "b"],
        "time": [0.0, 1 / 30],
        "values": [[float(np.float32(0.1)), 1.0], [0.0, 0.5]],
    }
    assert "\n    [0.10000000149011612, 1.0],\n    [0.0, 0.5]\n  ]" in text


def test_npz_layout(tmp_path: Path) -> None:
    curves = small([[0.1, 1.0]], fps=29.97, start=2.0)
    write_curves(curves, tmp_path / "out.npz")
    with np.load(tmp_path / "out.npz") as archive:
        assert sorted(archive.files) == ["fps", "names", "start", "values", "version"]
        assert archive["values"].dtype == np.float32 and archive["values"].shape == (1, 2)
        assert archive["names"].dtype.kind == "U" and archive["names"].tolist() == ["a", "b"]
        assert archive["fps"].shape == () and archive["fps"].dtype == np.float64
        assert float(archive["fps"]) == 29.97 and float(archive["start"]) == 2.0
        assert archive["version"].shape == () and int(archive["version"]) == 1


def test_empty_curves_round_trip_through_npz_and_json(tmp_path: Path) -> None:
    curves = small(np.zeros((0, 2)), fps=24.0, start=3.0)
    for suffix in (".npz", ".json"):
        write_curves(curves, tmp_path / f"e{suffix}")
        assert read_curves(tmp_path / f"e{suffix}").equals(curves)
    write_curves(curves, tmp_path / "e.csv")
    back = read_curves(tmp_path / "e.csv", fps=24.0)
    assert back.n_frames == 0 and back.names == ("a", "b")


def test_csv_fps_inference(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # 29.97 fps written at 10 significant digits: (n - 1) / span alone gives 29.96973
    path.write_text("time,a\n1000,0\n1000.033367,0\n", encoding="utf-8")
    assert read_curves(path).fps == 29.97
    # written less precisely than that, the span decides: rounded to 6 decimals
    path.write_text("time,a\n10,0\n10.033367,0\n", encoding="utf-8")
    assert read_curves(path).fps == 29.96973
    path.write_text("time,a\n0,0\n0.033,0\n0.067,0\n0.1,0\n", encoding="utf-8")  # 30 to ms
    assert read_curves(path).fps == 30.0
    path.write_text("time,a\n0,0\n0.37,0\n0.74,0\n", encoding="utf-8")
    assert read_curves(path).fps == pytest.approx(2 / 0.74, abs=1e-6)
    path.write_text("time,a\n0.5,0.25\n", encoding="utf-8")
    one = read_curves(path, fps=60)
    assert one.fps == 60 and one.start == 0.5 and one.n_frames == 1
    path.write_text("time,a\n0,0\n0.1,0\n0.2,0\n", encoding="utf-8")
    with pytest.raises(CurveError, match=r"line 3: time 0\.1 is off the uniform frame grid"):
        read_curves(path, fps=30)  # fps= replaces inference, and the grid is checked against it


def test_csv_reading_tolerates_blank_lines_crlf_bom_spaces_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'\xef\xbb\xbf\r\ntime , "a" ,b\r\n0, 0.5 ,"1"\r\n\r\n0.5,0.25,0\r\n  \r\n')
    curves = read_curves(path)
    assert curves.names == ("a", "b") and curves.fps == 2.0
    np.testing.assert_array_equal(curves.values, [[0.5, 1.0], [0.25, 0.0]])


def test_big_csv_reads_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    curves = au_curves(rng.random((3000, N_CHANNELS), dtype=np.float32), fps=60, start=12.5)
    write_curves(curves, tmp_path / "big.csv")
    assert read_au_curves(tmp_path / "big.csv").equals(curves)


def test_read_au_curves_canonicalises_and_fills_missing_channels(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("time,au12_r,AU1_L\n0,0.5,0.25\n0.1,1,0\n", encoding="utf-8")
    curves = read_au_curves(path)
    assert curves.names == CHANNELS and curves.fps == 10.0
    np.testing.assert_array_equal(curves.column("AU12_R"), [0.5, 1.0])
    np.testing.assert_array_equal(curves.column("AU1_L"), [0.25, 0.0])
    others = [i for i in range(N_CHANNELS) if CHANNELS[i] not in ("AU12_R", "AU1_L")]
    assert not curves.values[:, others].any()


def test_generic_curves_are_not_range_checked_but_au_curves_are(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,AU12_L\n0,0.5\n0.1,1.5\n0.2,50\n", encoding="utf-8")
    np.testing.assert_array_equal(read_curves(path).values[:, 0], [0.5, 1.5, 50])
    outside = r"bad\.csv: line 3: column 'AU12_L': 1\.5 is outside \[0, 1\]"
    with pytest.raises(CurveError, match=outside):
        read_au_curves(path)
    path.write_text("time,AU12_L\n0,-0.2\n", encoding="utf-8")
    with pytest.raises(CurveError, match=r"line 2: column 'AU12_L': -0\.2 is outside"):
        read_au_curves(path, fps=30)
    path.write_text("time,AU99_L\n0,0\n0.1,0\n", encoding="utf-8")
    with pytest.raises(
        CurveError,
        match=r"^\S*bad\.csv: column 'AU99_L': not an AU channel; expected names such as AU12_L$",
    ):
        read_au_curves(path)


def test_au_range_errors_name_the_key_or_array(tmp_path: Path) -> None:
    curves = small([[0.5, 0.5], [0.5, 2.0]], names=("AU1_L", "AU1_R"))
    write_curves(curves, tmp_path / "bad.json")
    with pytest.raises(CurveError, match=r"key 'values\[1\]\[1\]' \(column 'AU1_R'\): 2\.0 is"):
        read_au_curves(tmp_path / "bad.json")
    write_curves(curves, tmp_path / "bad.npz")
    with pytest.raises(CurveError, match=r"array 'values'\[1, 1\] \(column 'AU1_R'\): 2\.0 is"):
        read_au_curves(tmp_path / "bad.npz")


def test_read_curves_names_must_match_exactly(tmp_path: Path) -> None:
    write_curves(small([[1, 2]], names=("a", "b")), tmp_path / "two.json")
    picked = read_curves(tmp_path / "two.json", names=["B", "A"])
    assert picked.names == ("B", "A")
    np.testing.assert_array_equal(picked.values, [[2, 1]])
    with pytest.raises(CurveError, match=r"two\.json: column 'c': missing; the file has 'a', 'b'"):
        read_curves(tmp_path / "two.json", names=["a", "b", "c"])
    with pytest.raises(CurveError, match=r"two\.json: column 'b': unexpected"):
        read_curves(tmp_path / "two.json", names=["a"])


CSV_CASES = [
    ("", r"bad\.csv: empty file; expected a header line"),
    ("\n  \n\n", r"bad\.csv: empty file"),
    ("AU1_L,AU1_R\n0.1,0.2\n", r"bad\.csv: line 1: first column is 'AU1_L'; expected 'time'"),
    ("\nAU1_L,time\n0,0\n", r"bad\.csv: line 2: 'time' is column 2; expected it first"),
    ("time,AU1_L,au1_l\n0,0,0\n", r"line 1: duplicate column 'au1_l' \(columns 2 and 3\)"),
    ("time,AU1_L,Time\n0,0,0\n", r"line 1: duplicate column 'Time' \(columns 1 and 3\)"),
    ("time,AU1_L,\n0,0,0\n", r"line 1: column 3: empty name"),
    ("time,AU1_L\n0,0.5\n0.1,abc\n", r"bad\.csv: line 3: column 'AU1_L': 'abc' is not a number"),
    ("time,AU1_L\n0,0.5\nzero,0.5\n", r"bad\.csv: line 3: column 'time': 'zero' is not a number"),
    ("time,AU1_L\n0,0.5\n0.1,\n", r"line 3: column 'AU1_L': '' is not a number"),
    ("time,AU1_L\n0,1_0\n0.1,0\n", r"line 2: column 'AU1_L': '1_0' is not a number"),
    ("time,AU1_L\n0,0.5\n0.1,nan\n", r"line 3: column 'AU1_L': nan is not a finite number"),
    ("time,AU1_L\n0,0.5\n0.1,-inf\n", r"line 3: column 'AU1_L': -inf is not a finite number"),
    ("time,AU1_L\ninf,0.5\n", r"line 2: column 'time': inf is not a finite number"),
    ("time,AU1_L\n0,1e39\n0.1,0\n", r"line 2: column 'AU1_L': 1e\+39 is too large for float32"),
    ("time,a,b\n0,0.5,0.5\n0.1,0.5\n", r"bad\.csv: line 3: 2 cells; expected 3: time and the 2"),
    ("time,a\n0,0.5\n0.1,0.5,0.7\n", r"line 3: 3 cells; expected 2"),
    ("time,a\n0,0.5\n0.1,0.5\n0.1,0.5\n", r"line 4: time 0\.1 is not after the previous time 0\.1"),
    ("time,a\n0,0\n0.1,0\n0.2,0\n0.3,0\n0.45,0\n0.5,0\n", r"line 6: time 0\.45 is off the uniform"),
    ("time,a\n0.5,0.25\n", r"bad\.csv: line 2: one data row cannot give fps .*pass fps="),
    ("time,a\n", r"bad\.csv: line 1: no data rows; cannot infer fps"),
    # blank lines still count: the slow path ...
    ("time,a\n0,0.5\n\n0.1,abc\n", r"line 4: column 'a': 'abc' is not a number"),
    # ... and the fast path that finds line numbers only when it needs one
    ("time,a\n0,0.5\n\n\n0.1,0.5\n0.1,0.5\n", r"line 6: time 0\.1 is not after"),
]


@pytest.mark.parametrize(("content", "pattern"), CSV_CASES)
def test_malformed_csv_gives_one_clear_line(tmp_path: Path, content: str, pattern: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CurveError, match=pattern) as info:
        read_curves(path)
    assert "\n" not in str(info.value)


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(b"time,a\n0,\xff\n")
    with pytest.raises(CurveError, match=r"bad\.csv: not UTF-8 text"):
        read_curves(tmp_path / "bad.csv")


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": 1,
        "fps": 2.0,
        "start": 0.0,
        "names": ["AU1_L", "AU1_R"],
        "time": [0.0, 0.5],
        "values": [[0.5, 0.25], [0.0, 1.0]],
    }
    for key, value in changes.items():
        if value is KeyError:
            del document[key]
        else:
            document[key] = value
    return document


JSON_CASES = [
    ("", r"bad\.json: empty file; expected a JSON object"),
    ('{\n  "version": 1,\n  "fps": 30,,\n}', r"bad\.json: line 3: invalid JSON: .*\(column 13\)"),
    ("[1, 2]", r"bad\.json: top level is a JSON array; expected an object"),
    (_document(fps=KeyError), r"bad\.json: key 'fps': missing; expected keys version, fps"),
    (_document(extra=1), r"bad\.json: key 'extra': unexpected; expected only keys"),
    (_document(version=2), r"key 'version': 2 is not a supported version; expected 1"),
    (_document(version=True), r"key 'version': True is not a supported version"),
    (_document(fps="30"), r"bad\.json: key 'fps': '30' is not a number"),
    (_document(fps=True), r"key 'fps': True is not a number"),
    (_document(fps=0), r"key 'fps': 0\.0 is not a frame rate; expected a number above 0"),
    (_document(start=math.nan), r"key 'start': nan is not a finite number"),
    (_document(start=None), r"key 'start': None is not a number"),
    (_document(names="AU1_L"), r"key 'names': is a JSON string; expected an array"),
    (_document(names=["AU1_L", "au1_l"]), r"key 'names\[1\]': 'au1_l' repeats names\[0\]"),
    (_document(names=["AU1_L", 3]), r"key 'names\[1\]': 3 is a int; expected a string"),
    (_document(values={"a": 1}), r"key 'values': is a JSON object; expected an array of rows"),
    (_document(values=[[0.5, 0.25], 7]), r"key 'values\[1\]': is a JSON number; expected an"),
    (_document(values=[[0.5, 0.25], [1]]), r"key 'values\[1\]': has 1 numbers; expected 2"),
    (_document(values=[[0.5, 0.25], ["x", 1]]), r"key 'values\[1\]\[0\]': 'x' is not a number"),
    (_document(values=[[0.5, True], [0, 1]]), r"key 'values\[0\]\[1\]': True is not a number"),
    (_document(values=[[0.5, 0], [0, math.nan]]), r"key 'values\[1\]\[1\]': nan is not a finite"),
    (_document(values=[[0.5, 0], [0, 1e39]]), r"key 'values\[1\]\[1\]' \(column 'AU1_R'\): 1e\+39"),
    (_document(time=[0.0]), r"key 'time': has 1 entries; expected 2, one per row"),
    (_document(time=[0.0, "x"]), r"key 'time\[1\]': 'x' is not a number"),
    (_document(time=[0.0, math.inf]), r"key 'time\[1\]': inf is not a finite number"),
    (_document(time=[0.0, 0.75]), r"key 'time\[1\]': time 0\.75 is off the uniform frame grid"),
]


@pytest.mark.parametrize(("content", "pattern"), JSON_CASES)
def test_malformed_json_gives_one_clear_line(tmp_path: Path, content: Any, pattern: str) -> None:
    path = tmp_path / "bad.json"
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CurveError, match=pattern) as info:
        read_curves(path)
    assert "\n" not in str(info.value)


def test_json_fps_argument_must_agree(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(json.dumps(_document()), encoding="utf-8")
    assert read_au_curves(tmp_path / "ok.json", fps=2.0).fps == 2.0
    with pytest.raises(CurveError, match=r"key 'fps': 2 disagrees with fps=30"):
        read_curves(tmp_path / "ok.json", fps=30)


def _save_npz(path: Path, **changes: Any) -> None:
    arrays: dict[str, Any] = {
        "values": np.array([[0.5, 0.25], [0.0, 1.0]], dtype=np.float32),
        "names": np.array(["AU1_L", "AU1_R"]),
        "fps": np.array(30.0),
        "start": np.array(0.0),
        "version": np.array(1),
    }
    for key, value in changes.items():
        if value is KeyError:
            del arrays[key]
        else:
            arrays[key] = value
    np.savez(path, **arrays)


NPZ_CASES = [
    ({"fps": KeyError}, r"bad\.npz: array 'fps': missing; expected an NPZ archive of arrays"),
    ({"extra": np.zeros(2)}, r"bad\.npz: array 'extra': unexpected"),
    ({"values": np.zeros(2)}, r"array 'values': has shape \(2,\) and dtype float64; expected"),
    ({"names": np.array(["a", "b", "c"])}, r"array 'values': has shape \(2, 2\).*\(frames, 3\)"),
    ({"names": np.array([1, 2])}, r"array 'names': has shape \(2,\) and dtype int64; expected a"),
    ({"names": np.array(["a", "A"])}, r"array 'names'\[1\]: 'A' repeats names\[0\]"),
    ({"version": np.array(2)}, r"array 'version': is 2 \(dtype int64, shape \(\)\); expected"),
    ({"fps": np.array(-30.0)}, r"array 'fps': is -30\.0; expected a frame rate above 0"),
    ({"fps": np.array([30.0])}, r"array 'fps': is \[30\.0\] .*expected a 0-d float64"),
    ({"start": np.array(math.nan)}, r"array 'start': is nan; expected a finite number"),
    (
        {"values": np.array([[0.5, math.inf], [0, 0]], dtype=np.float32)},
        r"array 'values'\[0, 1\] \(column 'AU1_R'\): inf is not a finite number",
    ),
    (
        {"values": np.array([[0.5, None], [0, 0]], dtype=object)},
        r"array 'values': cannot be read \(.*\); expected a plain numeric",
    ),
]


@pytest.mark.parametrize(("changes", "pattern"), NPZ_CASES)
def test_malformed_npz_gives_one_clear_line(
    tmp_path: Path, changes: dict[str, Any], pattern: str
) -> None:
    path = tmp_path / "bad.npz"
    with path.open("wb") as f:
        _save_npz(f, **changes)  # type: ignore[arg-type]
    with pytest.raises(CurveError, match=pattern) as info:
        read_curves(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04 not really a zip"])
def test_npz_that_is_not_an_archive(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.npz").write_bytes(content)
    with pytest.raises(CurveError, match=r"bad\.npz: not a readable NPZ archive"):
        read_curves(tmp_path / "bad.npz")


def test_npz_holding_one_plain_array(tmp_path: Path) -> None:
    with (tmp_path / "bad.npz").open("wb") as f:
        np.save(f, np.zeros((2, 2)))
    with pytest.raises(CurveError, match=r"bad\.npz: holds a single array"):
        read_curves(tmp_path / "bad.npz")


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".json"])
def test_missing_file_and_directory(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(CurveError, match=rf"nope{suffix}: no such file$"):
        read_curves(tmp_path / f"nope{suffix}")
    (tmp_path / f"dir{suffix}").mkdir()
    with pytest.raises(CurveError, match=rf"dir{suffix}: is a directory"):
        read_au_curves(tmp_path / f"dir{suffix}")


def test_unknown_suffix_is_a_parameter_error_and_writes_nothing(tmp_path: Path) -> None:
    curves = small([[0, 1]])
    unknown = r"out\.txt: unknown curve file type '\.txt'; expected one of \.csv, \.npz, \.json"
    with pytest.raises(ParameterError, match=unknown):
        write_curves(curves, tmp_path / "out.txt")
    with pytest.raises(ParameterError, match=r"'\(no suffix\)'"):
        write_curves(curves, tmp_path / "out")
    with pytest.raises(ParameterError, match=r"unknown curve file type '\.tsv'"):
        read_curves(tmp_path / "in.tsv")
    with pytest.raises(ParameterError, match="expected Curves"):
        write_curves(np.zeros((1, 2)), tmp_path / "out.csv")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".json"])
def test_non_finite_values_are_not_written(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(CurveError, match=r"frame 1, column 'b': nan is not finite; .*clamp\(\)"):
        write_curves(small([[0, 1], [0, math.nan]]), tmp_path / f"out{suffix}")
    assert list(tmp_path.iterdir()) == []


def test_write_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CurveError, match=r"out\.csv: cannot write"):
        write_curves(small([[0, 1]]), tmp_path / "no" / "out.csv")


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old", encoding="utf-8")
    write_curves(small([[0, 1], [1, 0]]), path)
    assert read_curves(path).equals(small([[0, 1], [1, 0]]))
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


class _WriteFailedError(RuntimeError):
    pass


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npz"])
def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    path = tmp_path / f"out{suffix}"
    path.write_text("old", encoding="utf-8")
    kind = {".csv": _writer._Csv, ".json": _writer._Json, ".npz": _writer._Npz}[suffix]
    calls = []
    real = kind.rows

    def failing(self: Any, *args: Any) -> None:
        calls.append(1)
        if len(calls) > 1:
            raise _WriteFailedError("disk gone")
        real(self, *args)

    monkeypatch.setattr(kind, "rows", failing)
    monkeypatch.setattr(_writer, "ROWS_PER_CHUNK", 2)
    with pytest.raises(_WriteFailedError):
        write_curves(small(np.zeros((5, 2))), path)
    assert len(calls) == 2  # failed mid-file
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# ------------------------------------------------------------------------------ chunked writer


@pytest.mark.parametrize("suffix", [".csv", ".json", ".npz"])
def test_curve_writer_in_uneven_chunks_writes_what_write_curves_writes(
    tmp_path: Path, suffix: str
) -> None:
    from avatardrive.curves import CurveWriter

    rng = np.random.default_rng(3)
    curves = small(rng.random((10_000, 2), dtype=np.float32), fps=59.94, start=2.5)
    write_curves(curves, tmp_path / f"whole{suffix}")
    with CurveWriter(tmp_path / f"parts{suffix}", names=curves.names, fps=curves.fps,
                     start=curves.start, n_frames=curves.n_frames) as writer:  # fmt: skip
        for begin, stop in [(0, 1), (1, 4097), (4097, 4097), (4097, 10_000)]:
            writer.write(curves.values[begin:stop])
    if suffix == ".npz":  # the archive's timestamps differ; the arrays do not
        assert read_curves(tmp_path / "parts.npz").equals(read_curves(tmp_path / "whole.npz"))
    else:
        assert (tmp_path / f"parts{suffix}").read_bytes() == (
            tmp_path / f"whole{suffix}"
        ).read_bytes()


@pytest.mark.parametrize(
    ("chunks", "pattern"),
    [
        ([np.zeros((2, 2))], r"2 frames written; expected 3"),
        ([np.zeros((2, 2)), np.zeros((2, 2))], r"4 frames; expected 3"),
        ([np.zeros((2, 2)), np.array([[0.0, np.nan]])], r"frame 2, column 'b': nan is not finite"),
    ],
)
def test_curve_writer_refuses_wrong_counts_and_nan_and_leaves_nothing(
    tmp_path: Path, chunks: list[Any], pattern: str
) -> None:
    from avatardrive.curves import CurveWriter

    writer = CurveWriter(tmp_path / "o.npz", names=("a", "b"), fps=10, n_frames=3)
    with pytest.raises(CurveError, match=pattern), writer:  # noqa: PT012 - or at close
        for chunk in chunks:
            writer.write(chunk)
    assert list(tmp_path.iterdir()) == []
