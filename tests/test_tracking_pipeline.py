"""Tracker pipeline without MediaPipe: filters, calibration files, face-lost handling, the
blendshape path (a fake rig, and the real ``arkit52`` inverse), import weight."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar, Literal

import numpy as np
import pytest

from avatardrive.errors import ParameterError, TrackingError
from avatardrive.facs import CHANNELS, N_CHANNELS, channels_of
from avatardrive.tracking import (
    ARKIT_NAMES,
    AttackDecayParams,
    BaselineParams,
    BlendshapeEstimator,
    Calibration,
    FaceLandmarkerBackend,
    FusedEstimator,
    LiveLinkSource,
    LostFaceParams,
    Observation,
    OneEuroParams,
    RecordedBlendshapes,
    Tracker,
    VideoFrame,
    blendshapes_to_au,
    filter_latency,
    load_calibration,
    save_calibration,
)
from avatardrive.tracking._filters import AttackDecayFilter, OneEuroFilter
from avatardrive.tracking._landmarks import pose_from_matrix

AU12_L, AU12_R = channels_of(12)
AU45_L, AU45_R = channels_of(45)
AU43_L, _ = channels_of(43)


# --- a fake rig and a scripted backend ------------------------------------------------------------


class FakeRig:
    """ARKit shapes in ARKit order; the inverse copies a few shapes onto their AU channels."""

    shape_names = ARKIT_NAMES
    _map: ClassVar[dict[str, str]] = {"mouthSmileLeft": "AU12_L", "mouthSmileRight": "AU12_R",
            "eyeBlinkLeft": "AU45_L", "eyeBlinkRight": "AU45_R", "jawOpen": "AU26_L"}

    def shape_index(self, name: str) -> int:
        return ARKIT_NAMES.index(name[0].lower() + name[1:])

    def inverse_frame(self, weights: np.ndarray) -> np.ndarray:
        out = np.zeros(N_CHANNELS, dtype=np.float32)
        for shape, channel in self._map.items():
            out[CHANNELS.index(channel)] = weights[ARKIT_NAMES.index(shape)]
        return out


@dataclass
class Scripted:
    """A backend that replays ARKit score vectors; ``None`` in the script means no face."""

    script: list[np.ndarray | None]
    name: str = "livelink"
    version: str = "test"
    kind: Literal["face", "blendshapes"] = "blendshapes"
    calls: list[int] = field(default_factory=list)

    def observe(self, frame: VideoFrame) -> Observation | None:
        self.calls.append(frame.index)
        scores = self.script[frame.index]
        return None if scores is None else Observation(scores=scores.astype(np.float32))

    def close(self) -> None:
        pass


def scores(**values: float) -> np.ndarray:
    out = np.zeros(len(ARKIT_NAMES))
    for name, value in values.items():
        out[ARKIT_NAMES.index(name)] = value
    return out


def run(tracker: Tracker, n: int, fps: float = 30.0) -> list:
    return [tracker.update(VideoFrame(i, i / fps)) for i in range(n)]


INSTANT = LostFaceParams(reacquire=0.0)  # no blending: values show at once


def fake_tracker(script: list[np.ndarray | None], **options: object) -> Tracker:
    options.setdefault("lost", INSTANT)
    return Tracker(Scripted(script), estimator=BlendshapeEstimator(rig=FakeRig()),
                   calibrate_seconds=0.0, **options)  # type: ignore[arg-type]


# --- filters -------------------------------------------------------------------------------------


def test_default_filter_latency_figures() -> None:
    lat = filter_latency()  # benchmarks/bench_tracking.py prints these figures
    assert 0 <= lat.step_50 <= 0.05 and lat.step_90 <= 0.12
    assert 0 <= lat.ramp_lag <= 0.08
    assert lat.blink_step_50 <= 0.035 and lat.blink_step_90 <= 0.07
    assert lat.blink_peak >= 0.85
    assert lat.blink_peak > lat.blink_peak_regular


def test_small_steps_are_smoothed_more_than_big_ones() -> None:
    small = filter_latency(step=0.05)
    big = filter_latency(step=1.0)
    assert small.step_90 > 2 * big.step_90  # the cutoff rises with speed


def test_attack_decay_keeps_onsets_fast_and_offsets_smooth() -> None:
    lat = filter_latency(AttackDecayParams())
    assert lat.step_50 <= 0.04 and lat.blink_peak >= 0.9
    flt = AttackDecayFilter(AttackDecayParams(), n_channels=1)
    flt.update(np.array([1.0]), 0.0)
    down = flt.update(np.array([0.0]), 1 / 30)
    assert down[0] > 0.7  # decay 0.12 s: falls slowly


def test_one_euro_is_vectorized_and_channels_are_independent() -> None:
    flt = OneEuroFilter(OneEuroParams())
    rng = np.random.default_rng(0)
    x = rng.random((60, N_CHANNELS))
    out = np.array([flt.update(row, i / 30) for i, row in enumerate(x)])
    single = OneEuroFilter(OneEuroParams())
    column = np.zeros(N_CHANNELS)
    ref = []
    for i, row in enumerate(x):
        column[:] = 0.0
        column[AU12_L] = row[AU12_L]
        ref.append(single.update(column, i / 30)[AU12_L])
    assert np.allclose(out[:, AU12_L], ref)
    assert out.shape == (60, N_CHANNELS) and np.all(np.isfinite(out))
    assert np.std(np.diff(out[:, AU12_L])) < np.std(np.diff(x[:, AU12_L]))


# --- the tracker on a scripted backend ----------------------------------------------------------


def test_blendshapes_through_the_tracker_with_sides() -> None:
    script: list[np.ndarray | None] = [scores()] + [scores(mouthSmileLeft=0.9)] * 20
    results = run(fake_tracker(script, filter=None), 21)
    assert results[-1].au[AU12_L] == pytest.approx(0.9) and results[-1].au[AU12_R] == 0.0


def test_mirrored_blendshapes_swap_sides() -> None:
    tracker = fake_tracker([scores(), scores(mouthSmileLeft=0.9)], filter=None)
    tracker.update(VideoFrame(0, 0.0, mirrored=True))
    result = tracker.update(VideoFrame(1, 0.1, mirrored=True))
    assert result.au[AU12_R] == pytest.approx(0.9) and result.au[AU12_L] == 0.0


def test_neutral_is_subtracted_and_rescaled() -> None:
    rest = scores(mouthSmileLeft=0.2)
    tracker = fake_tracker([rest, rest, scores(mouthSmileLeft=0.6)], filter=None)
    results = run(tracker, 3)
    assert results[1].au.max() == 0.0
    assert results[2].au[AU12_L] == pytest.approx((0.6 - 0.2) / 0.8)


def test_output_is_neutral_while_calibrating() -> None:
    script: list[np.ndarray | None] = [scores(mouthSmileLeft=0.1)] * 15 + [
        scores(mouthSmileLeft=0.9)] * 5
    tracker = Tracker(Scripted(script), estimator=BlendshapeEstimator(rig=FakeRig()),
                      calibrate_seconds=0.3, filter=None)
    results = run(tracker, 20)
    assert [r.calibrating for r in results[:9]] == [True] * 9
    assert not results[10].calibrating and tracker.calibration is not None
    assert tracker.calibration.frames == 10
    assert all(r.au.max() == 0.0 for r in results[:15])
    assert results[-1].au[AU12_L] > 0.8


def test_output_fades_in_when_calibration_ends() -> None:
    script: list[np.ndarray | None] = [scores(mouthSmileLeft=0.1)] * 10 + [
        scores(mouthSmileLeft=0.7)] * 20
    tracker = Tracker(Scripted(script), estimator=BlendshapeEstimator(rig=FakeRig()),
                      calibrate_seconds=0.0, filter=None, lost=LostFaceParams(reacquire=0.2))
    tracker.update(VideoFrame(0, 0.0))
    tracker.recalibrate(0.1)  # on request, while the smile is already on
    out = np.array([tracker.update(VideoFrame(i, i / 30)).au[AU12_L] for i in range(10, 30)])
    assert np.all(np.diff(out) <= 1e-9) and np.min(np.diff(out)) > -0.35  # no jump
    assert out[0] == pytest.approx(0.6 / 0.9) and out[-1] == 0.0  # the smile became neutral


def test_face_lost_holds_then_relaxes_then_blends_back(caplog: pytest.LogCaptureFixture) -> None:
    fps = 30.0
    smile = scores(mouthSmileLeft=0.8)
    script: list[np.ndarray | None] = [scores()] + [smile] * 9 + [None] * 30 + [smile] * 15
    tracker = fake_tracker(script, filter=None,
                           lost=LostFaceParams(hold=0.25, relax=0.5, reacquire=0.2))
    with caplog.at_level(logging.INFO, logger="avatardrive.tracking"):
        out = np.array([r.au[AU12_L] for r in run(tracker, len(script), fps)])
    lost_at = 10
    hold = out[lost_at: lost_at + 7]  # 0.25 s at 30 fps: frames 0..7 after loss
    assert np.allclose(hold, 0.8)
    relax = out[lost_at + 8: lost_at + 23]
    assert np.all(np.diff(relax) <= 1e-9) and relax[0] < 0.8 and relax[-1] < 0.05
    assert np.all(out[lost_at + 23: 40] == 0.0)  # neutral after hold + relax
    back = out[40:47]
    assert back[0] == pytest.approx(0.0, abs=1e-6)  # no jump on reacquire
    assert np.all(np.diff(back) > 0) and out[-1] == pytest.approx(0.8)
    assert np.max(np.abs(np.diff(out[9:]))) < 0.3  # no jump when lost or found
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1


def test_reacquire_from_a_held_value_is_smooth() -> None:
    smile, big = scores(mouthSmileLeft=0.5), scores(mouthSmileLeft=1.0)
    script: list[np.ndarray | None] = [scores()] + [smile] * 10 + [None] * 3 + [big] * 10
    tracker = fake_tracker(script, filter=None, lost=LostFaceParams())
    out = np.array([r.au[AU12_L] for r in run(tracker, len(script))])
    assert np.allclose(out[11:14], 0.5)  # held
    assert out[14] == pytest.approx(0.5, abs=1e-6) and out[-1] == pytest.approx(1.0)
    assert np.all(np.diff(out[13:]) >= 0)


def test_sustained_closure_moves_from_au45_to_au43() -> None:
    closed = scores(eyeBlinkLeft=0.9)
    script: list[np.ndarray | None] = [scores()] + [closed] * 30
    results = run(fake_tracker(script, filter=None, eyes_closed_after=0.5), 31)
    assert results[5].au[AU45_L] == pytest.approx(0.9) and results[5].au[AU43_L] == 0.0
    assert results[-1].au[AU43_L] == pytest.approx(0.9) and results[-1].au[AU45_L] == 0.0


def test_nan_scores_never_reach_the_output() -> None:
    bad = scores(mouthSmileLeft=np.nan)
    results = run(fake_tracker([scores(), bad, bad]), 3)
    assert all(np.all(np.isfinite(r.au)) and np.all(np.isfinite(r.head_pose)) for r in results)


def test_running_baseline_removes_a_drifted_neutral() -> None:
    drift = scores(mouthSmileLeft=0.3)  # the performer relaxes differently than at calibration
    script: list[np.ndarray | None] = [scores()] + [drift] * 400
    tracker = fake_tracker(script, filter=None,
                           baseline=BaselineParams(window=10.0, warmup=2.0, interval=0.25))
    results = run(tracker, 401)
    assert results[30].au[AU12_L] == pytest.approx(0.3)  # before warm-up
    assert results[-1].au[AU12_L] == pytest.approx(0.0, abs=1e-6)


# --- calibration files -------------------------------------------------------------------------


def test_calibration_round_trip_and_backend_check(tmp_path: Path) -> None:
    calibration = Calibration(backend="facelandmarker", backend_version="mediapipe 1.2.3",
                              estimator_version=1, names=("a_L", "a_R", "gap"),
                              neutral=np.array([0.1, 0.2, 0.3]), head_pose=[1.0, -2.0, 0.5],
                              frames=30, performer="ana")
    path = tmp_path / "ana.json"
    save_calibration(calibration, path)
    data = json.loads(path.read_text())
    assert data["backend"] == "facelandmarker" and data["measures"]["gap"] == 0.3
    back = load_calibration(path, backend="facelandmarker")
    assert back.names == calibration.names and np.allclose(back.neutral, calibration.neutral)
    assert back.performer == "ana" and back.frames == 30
    assert np.allclose(back.head_pose, [1.0, -2.0, 0.5])
    with pytest.raises(TrackingError, match=r"ana\.json: backend: the calibration was made by "
                                            r"the facelandmarker backend; expected livelink"):
        load_calibration(path, backend="livelink")


def test_tracker_refuses_a_calibration_from_another_backend() -> None:
    calibration = Calibration(backend="blendshape", backend_version="x", estimator_version=1,
                              names=ARKIT_NAMES, neutral=np.zeros(len(ARKIT_NAMES)))
    with pytest.raises(TrackingError, match="made by the blendshape backend; expected livelink"):
        fake_tracker([scores()], calibration=calibration)


def test_captured_calibration_saves_and_reloads_into_a_new_tracker(tmp_path: Path) -> None:
    rest = scores(mouthSmileLeft=0.2)
    tracker = fake_tracker([rest, scores(mouthSmileLeft=0.6)], filter=None)
    run(tracker, 1)
    assert tracker.calibration is not None
    save_calibration(tracker.calibration, tmp_path / "c.json")
    loaded = load_calibration(tmp_path / "c.json", backend="livelink")
    again = fake_tracker([scores(mouthSmileLeft=0.6)], filter=None, calibration=loaded)
    assert again.update(VideoFrame(0, 0.0)).au[AU12_L] == pytest.approx(0.5)


@pytest.mark.parametrize("text", ["{", "[]", '{"format": "avatardrive-calibration", "version": 9}'])
def test_malformed_calibration_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(TrackingError, match=r"bad\.json"):
        load_calibration(path)


# --- recorded blendshapes: mapping and Live Link ------------------------------------------------


def test_blendshape_frames_to_au_curves_with_a_fake_rig() -> None:
    frames = [{"_neutral": 1.0, "mouthSmileLeft": 0.5}, {"MouthSmile_R": 0.7, "jawOpen": 0.2}]
    curves = blendshapes_to_au(frames, fps=30.0, rig=FakeRig())
    assert curves.values.shape == (2, N_CHANNELS) and curves.fps == 30.0
    assert curves.values[0, AU12_L] == pytest.approx(0.5)
    assert curves.values[1, AU12_R] == pytest.approx(0.7)
    with pytest.raises(TrackingError, match="frame 0: unknown blendshape 'mouthGrin'"):
        blendshapes_to_au([{"mouthGrin": 1.0}], fps=30.0, rig=FakeRig())


def live_link(path: Path, rows: list[dict[str, float]], fps: int = 60) -> Path:
    names = [n[0].upper() + n[1:] for n in ARKIT_NAMES]
    lines = [",".join(["Timecode", "BlendShapeCount", *reversed(names)])]
    for k, row in enumerate(rows):
        cells = [f"10:00:00:{k % fps:02d}.000", "61"] + [
            f"{row.get(n, 0.0):.3f}" for n in reversed(names)]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_live_link_recording_through_the_tracker(tmp_path: Path) -> None:
    rows = [{}] * 5 + [{"MouthSmileLeft": 0.8}] * 5
    path = live_link(tmp_path / "take.csv", rows)
    estimator = BlendshapeEstimator(rig=FakeRig())
    with LiveLinkSource(path) as source:
        tracker = Tracker(RecordedBlendshapes(), estimator=estimator, calibrate_seconds=0.0,
                          filter=None, lost=INSTANT)
        results = []
        while (frame := source.read()) is not None:
            results.append(tracker.update(frame))
    assert [r.time for r in results] == pytest.approx([k / 60 for k in range(10)])
    assert results[-1].au[AU12_L] == pytest.approx(0.8) and results[-1].au[AU12_R] == 0.0


def test_live_link_through_the_real_arkit52_inverse(tmp_path: Path) -> None:
    pytest.importorskip("avatardrive.retarget")
    rows = [{}] * 3 + [{"MouthSmileLeft": 0.8, "EyeBlinkRight": 0.9}] * 3
    with LiveLinkSource(live_link(tmp_path / "take.csv", rows)) as source:
        tracker = Tracker(RecordedBlendshapes(), calibrate_seconds=0.0, filter=None,
                          lost=INSTANT)
        results = []
        while (frame := source.read()) is not None:
            results.append(tracker.update(frame))
    last = results[-1].au
    assert last[AU12_L] > 0.5 and last[AU12_R] < 0.05
    eye_r = [CHANNELS.index(f"AU{n}_R") for n in (43, 45, 46)]
    eye_l = [CHANNELS.index(f"AU{n}_L") for n in (43, 45, 46)]
    assert last[eye_r].sum() > 0.5 and last[eye_l].sum() < 0.05
    assert results[0].au.max() == 0.0


# --- layering -----------------------------------------------------------------------------------


def test_importing_avatardrive_and_tracking_stays_light() -> None:
    code = ("import sys, avatardrive, avatardrive.tracking; "
            "print(sorted(m for m in ('mediapipe', 'cv2', 'skimage') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_face_landmarker_results_map_to_arkit_order_and_times_increase() -> None:
    # Drive observe() with a stand-in for MediaPipe's landmarker and its result types (the same
    # attribute names: face_landmarks, face_blendshapes, facial_transformation_matrixes).
    mp = pytest.importorskip("mediapipe")
    calls: list[int] = []

    class Landmarker:
        def detect_for_video(self, image: object, stamp: int) -> SimpleNamespace:
            calls.append(stamp)
            points = [SimpleNamespace(x=0.5, y=0.25, z=0.0)] * 478
            names = ["_neutral", *sorted(ARKIT_NAMES[:-1])]  # MediaPipe: no tongueOut
            categories = [SimpleNamespace(category_name=n, score=0.01 * k)
                          for k, n in enumerate(names)]
            return SimpleNamespace(face_landmarks=[points], face_blendshapes=[categories],
                                   facial_transformation_matrixes=[np.eye(4)])

        def close(self) -> None:
            pass

    backend = object.__new__(FaceLandmarkerBackend)
    backend._mp, backend._video, backend._last_ms, backend._zoom = mp, True, -1, None
    backend._last_box = None
    backend._landmarker, backend._searcher, backend._order = Landmarker(), None, {}
    backend._finalizer = weakref.finalize(backend, lambda: None)
    image = np.zeros((40, 80, 3), dtype=np.uint8)
    first = backend.observe(VideoFrame(0, 0.0, image))
    backend.observe(VideoFrame(1, 0.0, image))  # a repeated time still gets a later timestamp
    assert calls == [0, 1]
    assert first is not None and first.scores is not None and first.landmarks is not None
    assert first.scores[ARKIT_NAMES.index("browDownLeft")] == pytest.approx(0.01)
    assert first.scores[ARKIT_NAMES.index("noseSneerRight")] == pytest.approx(0.51)
    assert first.scores[ARKIT_NAMES.index("tongueOut")] == 0.0
    assert np.allclose(first.landmarks[0], [40.0, 10.0, 0.0])  # pixels
    assert first.head_pose is not None and np.allclose(first.head_pose, 0.0, atol=1e-4)
    backend.close()
    with pytest.raises(TrackingError, match="closed"):
        backend.observe(VideoFrame(2, 0.1, image))


# --- the learned rest, head pose from the matrix, the fused estimator ---------------------------


def test_a_rest_near_one_is_removed_whole() -> None:
    # MediaPipe reads mouthSmile 0.90 on a face at rest; capping the rest at 0.8 read AU12 0.45
    # forever after calibration.
    rest = scores(mouthSmileLeft=0.9)
    script = [rest, rest, scores(mouthSmileLeft=0.925), scores(mouthSmileLeft=0.95),
              scores(mouthSmileLeft=1.0)]
    out = [r.au[AU12_L] for r in run(fake_tracker(script, filter=None), len(script))]
    assert out == pytest.approx([0.0, 0.0, 0.25, 0.5, 1.0], abs=1e-6)


def test_a_rest_at_one_does_not_blow_up_noise() -> None:
    estimator = BlendshapeEstimator(rig=FakeRig())
    neutral = scores(mouthSmileLeft=1.0)
    weights = estimator.weights(scores(mouthSmileLeft=0.99), neutral)
    assert weights.max() == 0.0
    assert estimator.weights(scores(mouthSmileLeft=1.0, eyeBlinkLeft=0.5), neutral).max() == 0.5


def test_head_pose_from_the_transformation_matrix() -> None:
    def gl(rotation: np.ndarray) -> np.ndarray:
        matrix = np.eye(4)
        matrix[:3, :3] = rotation
        matrix[2, 3] = -40.0  # 40 cm in front of the camera
        return matrix

    c, s = np.cos(np.radians(20)), np.sin(np.radians(20))
    assert np.allclose(pose_from_matrix(gl(np.eye(3))), 0.0, atol=1e-9)
    # (x right, y up, z toward the viewer); columns: the head's left, up and forward axes
    turn_left = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # forward swings to +x
    look_up = np.array([[1, 0, 0], [0, c, s], [0, -s, c]])  # forward swings up
    tilt_left = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])  # the top of the head to +x
    assert pose_from_matrix(gl(turn_left)) == pytest.approx([20.0, 0.0, 0.0], abs=1e-6)
    assert pose_from_matrix(gl(look_up)) == pytest.approx([0.0, 20.0, 0.0], abs=1e-6)
    assert pose_from_matrix(gl(tilt_left)) == pytest.approx([0.0, 0.0, 20.0], abs=1e-6)
    assert np.all(pose_from_matrix(np.full((4, 4), np.nan)) == 0.0)


def test_a_mirrored_frame_flips_yaw_and_roll_of_the_backends_pose() -> None:
    seen = Observation(scores=np.zeros(len(ARKIT_NAMES), np.float32),
                       head_pose=np.array([10.0, 5.0, -3.0], np.float32))
    estimator = BlendshapeEstimator(rig=FakeRig())
    assert estimator.measure(seen, mirrored=False)[1] == pytest.approx([10.0, 5.0, -3.0])
    assert estimator.measure(seen, mirrored=True)[1] == pytest.approx([-10.0, 5.0, 3.0])


def test_fused_estimate_is_the_weighted_blend_of_its_parts() -> None:
    rng = np.random.default_rng(5)
    fused = FusedEstimator(weights={12: 0.8, 15: 1.0}, rig=FakeRig())
    names = fused.measure_names
    assert names[-len(ARKIT_NAMES):] == ARKIT_NAMES and names[-len(ARKIT_NAMES) - 1] == "face_px"
    neutral = np.concatenate([rng.normal(0, 0.1, len(names) - 52), np.full(52, 0.1)])
    neutral[len(names) - 53] = 100.0  # face size in pixels
    measures = neutral + np.concatenate([rng.normal(0, 0.05, len(names) - 52),
                                         rng.uniform(0, 0.5, 52)])
    geometric, learned = fused.parts(measures, neutral)
    raw = fused.activation(measures, neutral)
    assert raw[AU12_L] == pytest.approx(0.8 * geometric[AU12_L] + 0.2 * learned[AU12_L])
    au15 = channels_of(15)[0]
    assert raw[au15] == pytest.approx(geometric[au15])
    assert raw[AU45_L] == pytest.approx(learned[AU45_L])  # not listed: learned only
    with pytest.raises(ParameterError, match=r"fusion weight of AU12 is 1\.5; expected \[0, 1\]"):
        FusedEstimator(weights={12: 1.5})
