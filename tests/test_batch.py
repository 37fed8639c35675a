"""``avatardrive batch``: planning, the local pool, Ctrl-C, and a real Dask scheduler with two
worker processes (one of them killed mid-batch)."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FaceKit, run_cli
from receivers import default_sigint, wait_for
from test_pipeline import livelink_csv

from avatardrive.curves import read_au_curves
from avatardrive.errors import ParameterError
from avatardrive.pipeline import (
    BatchItem,
    InputSet,
    ItemResult,
    Job,
    LocalEngine,
    RenderJob,
    TrackerOptions,
    TrackJob,
    find_inputs,
    plan_items,
    read_item_list,
    remove_orphans,
    run_batch,
    run_item,
    track_file,
)
from avatardrive.pipeline._batch_engines import chunk_size, chunks
from avatardrive.tracking import FaceLandmarkerBackend

FPS = 30.0

# -- inputs ------------------------------------------------------------------------------------


def timeline(path: Path, *, seed: int, duration: float = 6.0, emotion: str = "happiness") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'version = 1\nfps = 60\nduration = {duration}\nseed = {seed}\n[blink]\nrate = 17\n'
        f'[[events]]\nemotion = "{emotion}"\nstart = 1.0\nintensity = 0.8\n'
        f'[[events]]\naus = {{ AU12_L = 0.5 }}\nstart = {duration / 2}\n',
        encoding="utf-8",
    )
    return path


def timelines_tree(root: Path, count: int, *, bad: int = 0, duration: float = 6.0) -> list[Path]:
    """``count`` good timelines in two sub-folders, and ``bad`` broken ones."""
    paths = [timeline(root / ("a" if i % 2 else "b") / f"line{i:03d}.toml", seed=i,
                      duration=duration) for i in range(count)]  # fmt: skip
    for i in range(bad):
        broken = root / "b" / f"broken{i}.toml"
        fps = "-5" if i % 2 else '"fast"'
        broken.write_text(f"version = 1\nfps = {fps}\n", "utf-8")
        paths.append(broken)
    return paths


def rendered(timeline_path: Path, output: Path, *args: str) -> bytes:
    """What ``avatardrive render`` writes for this timeline."""
    code, _, err = run_cli("render", str(timeline_path), "-o", str(output), *args)
    assert code == 0, err
    return output.read_bytes()


def manifest_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {Path(row["input"]).name: row for row in csv.DictReader(f)}


def leftovers(folder: Path) -> list[Path]:
    """Temporary files of ours (``.NAME.*.tmp`` / ``.raw``)."""
    return [p for p in folder.rglob(".*") if p.suffix in (".tmp", ".raw")]


# -- planning ----------------------------------------------------------------------------------


def test_outputs_mirror_the_input_tree_and_skip_hidden_files_and_the_output_folder(
    tmp_path: Path,
) -> None:
    timelines_tree(tmp_path / "in", 3)
    (tmp_path / "in" / "a" / ".line001.toml.x1.tmp").write_text("x")
    (tmp_path / "in" / "notes.txt").write_text("not a timeline")
    out = tmp_path / "in" / "out"
    timeline(out / "old.toml", seed=1)  # inside the output folder: never an input
    found = find_inputs(str(tmp_path / "in"), kind="render", skip=[str(out)])
    items = plan_items([found], out_dir=str(out), output_format="npz")
    pairs = [(Path(i.input).relative_to(tmp_path), Path(i.output).relative_to(out)) for i in items]
    assert pairs == [
        (Path("in/a/line001.toml"), Path("a/line001.npz")),
        (Path("in/b/line000.toml"), Path("b/line000.npz")),
        (Path("in/b/line002.toml"), Path("b/line002.npz")),
    ]  # fmt: skip


def test_glob_patterns_and_item_lists_with_per_item_rig_and_format(tmp_path: Path) -> None:
    timelines_tree(tmp_path / "in", 4)
    found = find_inputs(str(tmp_path / "in" / "**" / "line00[12].toml"), kind="render")
    assert found.root == str(tmp_path / "in")
    assert [Path(p).name for p in found.inputs] == ["line001.toml", "line002.toml"]
    listing = tmp_path / "in" / "items.csv"
    listing.write_text("input,rig,format\na/line001.toml,arkit52,json\nb/line002.toml,,\n", "utf-8")
    items = plan_items([read_item_list(str(listing), kind="render")], out_dir="out", rig="vrm1")
    folder = tmp_path / "in"
    assert items == [
        BatchItem(str(folder / "a" / "line001.toml"), os.path.join("out", "a", "line001.json"),
                  "arkit52"),
        BatchItem(str(folder / "b" / "line002.toml"), os.path.join("out", "b", "line002.csv"),
                  "vrm1"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,rig\na.toml,\n",
         r"items\.csv: header 'path,rig' has no 'input' column; expected input"),
        ("input,format\na.toml,xlsx\n",
         r"items\.csv: line 2: format 'xlsx'; expected one of csv, npz, json"),
        ("input\n\n,\n", r"items\.csv: line 3: the input cell is empty; expected a path"),
        ("input\n", r"items\.csv: no items; expected one row per input"),
    ],
)  # fmt: skip
def test_a_bad_item_list_is_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    listing = tmp_path / "items.csv"
    listing.write_text(text, "utf-8")
    with pytest.raises(ParameterError, match=message):
        read_item_list(str(listing), kind="render")


def test_two_inputs_for_one_output_and_missing_inputs_are_refused(tmp_path: Path) -> None:
    timeline(tmp_path / "x.toml", seed=1)
    timeline(tmp_path / "x.json", seed=1).write_text('{"version": 1, "events": []}')
    found = find_inputs(str(tmp_path), kind="render")
    with pytest.raises(ParameterError, match=r"x\.json' and .*x\.toml' would both be written to "):
        plan_items([found], out_dir=str(tmp_path / "out"))
    with pytest.raises(ParameterError, match=r"'nowhere/\*\.toml' matches no file"):
        find_inputs("nowhere/*.toml", kind="render")
    with pytest.raises(ParameterError, match=r"'nothing\.toml': no such file or folder"):
        find_inputs("nothing.toml", kind="render")
    empty = InputSet(str(tmp_path), ())
    with pytest.raises(ParameterError, match="no inputs found"):
        plan_items([empty], out_dir="out")


def test_track_walks_videos_image_folders_and_takes(tmp_path: Path) -> None:
    (tmp_path / "in" / "shots" / "take1").mkdir(parents=True)
    (tmp_path / "in" / "shots" / "take1" / "0001.png").write_bytes(b"")
    (tmp_path / "in" / "a.mp4").write_bytes(b"")
    (tmp_path / "in" / "b.csv").write_text("Timecode\n")
    (tmp_path / "in" / "c.toml").write_text("")
    found = find_inputs(str(tmp_path / "in"), kind="track")
    items = plan_items([found], out_dir="out")
    assert [(Path(i.input).name, i.output) for i in items] == [
        ("a.mp4", os.path.join("out", "a.csv")),
        ("b.csv", os.path.join("out", "b.csv")),
        ("take1", os.path.join("out", "shots", "take1.csv")),
    ]  # fmt: skip


def test_leftovers_of_killed_writers_are_removed_and_nothing_else(tmp_path: Path) -> None:
    ours = [".x.csv.k2j4x9aa.tmp", ".x.csv.0_a1b2c3.raw", ".y.v1.npz.abcdefgh.tmp"]
    others = [".z.csv.k2j4x9aa.tmp", ".x.csv.k2j4x9aa.txt", "x.csv", ".x.csv", "..tmp", ".tmp"]
    for name in ours + others:
        (tmp_path / name).write_text("")
    remove_orphans([BatchItem("in/x.toml", str(tmp_path / "x.csv")),
                    BatchItem("in/y.toml", str(tmp_path / "y.v1.npz")),
                    BatchItem("in/w.toml", str(tmp_path / "gone" / "w.csv"))])  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others)


def test_progress_line_says_items_per_second_and_eta() -> None:
    from avatardrive.cli._cmd_batch import progress_line

    assert progress_line(30, 200, 10.0, 0) == "[30/200] 3.0 items/s, ETA 0:00:57"
    assert progress_line(1, 5000, 2.0, 2) == "[1/5000] 0.5 items/s, ETA 2:46:38, 2 failed"
    assert progress_line(0, 5, 0.0, 0) == "[0/5] 0.0 items/s, ETA ?"


# -- the local pool ----------------------------------------------------------------------------


def test_local_batch_renders_like_render_lists_bad_items_and_resumes(tmp_path: Path) -> None:
    inputs = timelines_tree(tmp_path / "in", 5, bad=2)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                   "--workers", "2", "--rig", "arkit52")  # fmt: skip
    assert code == 2, stderr
    summary = (r"batch render: 5 done, 2 failed of 7 items in [\d.]+ s \([\d.]+ items/s\) "
               r"on 2 local worker processes; manifest .*batch\.csv")
    assert re.search(summary, stdout), stdout
    assert re.search(r"failed: .*broken0\.toml: line 2: fps: 'fast' is a str; expected a number",
                     stderr)  # fmt: skip
    assert re.search(r"failed: .*broken1\.toml: line 2: fps: -5 .*expected", stderr), stderr
    assert stderr.endswith("avatardrive: error: 2 of 7 items failed (listed above and in "
                           f"{out / 'batch.csv'})\n")  # fmt: skip
    rows = manifest_rows(out / "batch.csv")
    for path in inputs[:5]:
        made = out / path.parent.name / (path.stem + ".csv")
        assert made.read_bytes() == rendered(path, tmp_path / "ref.csv", "--rig", "arkit52")
        row = rows[path.name]
        assert row["status"] == "done" and row["error"] == "" and int(row["frames"]) == 360
        assert float(row["seconds"]) > 0 and re.fullmatch(r".+:\d+", row["worker"])
    assert rows["broken0.toml"]["status"] == "failed" and rows["broken0.toml"]["fault"] == "input"
    assert "expected a number" in rows["broken0.toml"]["error"]
    assert not (out / "b" / "broken0.csv").exists() and leftovers(out) == []

    before = {p: p.stat().st_mtime_ns for p in out.rglob("line*.csv")}
    code, stdout, stderr = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                   "--rig", "arkit52")  # fmt: skip
    assert code == 2
    assert "5 skipped, 2 failed of 7 items" in stdout and "no workers (nothing to run)" in stdout
    assert stderr.count("failed (last run; unchanged since, so not retried") == 2
    assert {p: p.stat().st_mtime_ns for p in out.rglob("line*.csv")} == before

    inputs[5].write_text(inputs[0].read_text())  # the bad input fixed, one good input edited
    os.utime(inputs[1], (time.time() + 5, time.time() + 5))
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                              "--rig", "arkit52")  # fmt: skip
    assert "2 done, 4 skipped, 1 failed of 7 items" in stdout
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out), "--force",
                              "--rig", "arkit52", "--workers", "1")  # fmt: skip
    assert "6 done, 1 failed of 7 items" in stdout


def test_a_bad_rig_in_a_list_fails_its_item_and_a_bad_rig_option_fails_at_once(
    tmp_path: Path,
) -> None:
    timelines_tree(tmp_path / "in", 2)
    listing = tmp_path / "in" / "items.csv"
    listing.write_text("input,rig\na/line001.toml,no-such-rig\nb/line000.toml,vrm1\n", "utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("batch", "render", "--list", str(listing), "-o", str(out),
                                   "--workers", "1")  # fmt: skip
    assert code == 2 and "1 done, 1 failed of 2 items" in stdout
    assert re.search(r"failed: .*no-such-rig", stderr), stderr
    header = (out / "b" / "line000.csv").read_text().split("\n", 1)[0]
    assert header.startswith("time,") and "AU12_L" not in header  # vrm1 weights, not AU curves
    code, stdout, stderr = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                   "--rig", "no-such-rig")  # fmt: skip
    assert code == 2 and stdout == "" and "no-such-rig" in stderr
    assert stderr.count("\n") == 1


def test_run_item_reports_instead_of_raising(tmp_path: Path) -> None:
    good = timeline(tmp_path / "good.toml", seed=4)
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = run_item(RenderJob(), BatchItem(str(good), str(blocked / "x.csv")))
    assert result.status == "failed" and not result.internal
    assert re.search(r"x\.csv: cannot write \(", result.error), result.error
    result = run_item(RenderJob(), BatchItem(str(good), str(tmp_path / "g.csv"), rig="nope"))
    assert result.status == "failed" and "nope" in result.error
    result = run_item(RenderJob(fps=30), BatchItem(str(good), str(tmp_path / "g.npz")))
    assert (result.status, result.frames) == ("done", 180)


def test_a_fully_skipped_batch_starts_no_worker(tmp_path: Path) -> None:
    good = timeline(tmp_path / "good.toml", seed=4)
    (tmp_path / "out").mkdir()
    rendered(good, tmp_path / "out" / "good.csv")
    seen: list[ItemResult] = []
    items = plan_items([find_inputs(str(good), kind="render")], out_dir=str(tmp_path / "out"))
    report = run_batch(items, RenderJob(), workers=1, on_result=seen.append)
    assert report.ok and report.engine == "no workers (nothing to run)"
    assert [r.status for r in seen] == ["skipped"]


def crash_on_marked(job: Job, item: BatchItem, *,
                    should_stop: Callable[[], bool] | None = None) -> ItemResult:
    """``run_item``, except that an input named ``crash*`` kills its worker process outright
    (as a segfault in a native library would)."""
    if Path(item.input).name.startswith("crash"):
        os._exit(3)
    return run_item(job, item, should_stop=should_stop)


def test_a_worker_that_dies_is_replaced_and_only_its_item_fails(tmp_path: Path) -> None:
    inputs = timelines_tree(tmp_path / "in", 6)
    timeline(tmp_path / "in" / "a" / "crash.toml", seed=9)
    items = plan_items([find_inputs(str(tmp_path / "in"), kind="render")],
                       out_dir=str(tmp_path / "out"))  # fmt: skip
    engine = LocalEngine(2, work=crash_on_marked)
    try:
        report = run_batch(items, RenderJob(), engine=engine)
    finally:
        engine.close()
    by_name = {Path(r.input).name: r for r in report.results}
    crashed = by_name.pop("crash.toml")
    assert crashed.status == "failed" and crashed.internal
    assert crashed.error.endswith("crash.toml: its worker process died while running it (a crash, "
                                  "or out of memory)")  # fmt: skip
    assert {r.status for r in by_name.values()} == {"done"} and len(by_name) == len(inputs)
    assert not (tmp_path / "out" / "a" / "crash.csv").exists()


def test_short_items_travel_several_to_a_task_and_videos_one() -> None:
    assert chunk_size(RenderJob(), 200, 2) == 25
    assert chunk_size(RenderJob(), 10_000, 2) == 32
    assert chunk_size(RenderJob(), 5, 2) == 1
    assert chunk_size(TrackJob(), 200, 2) == 1
    assert chunks(5, 2) == [(0, 1), (2, 3), (4,)]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "avatardrive", *args]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_cleanly_and_keeps_finished_outputs(tmp_path: Path, signum: int) -> None:
    inputs = timelines_tree(tmp_path / "in", 16, duration=200.0)
    out = tmp_path / "out"
    batch = subprocess.Popen(cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                 "--workers", "2"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=default_sigint)  # fmt: skip
    try:
        assert wait_for(lambda: len(list(out.rglob("line*.csv"))) >= 2, timeout=60)
        batch.send_signal(signum)
        stdout, stderr = batch.communicate(timeout=60)
    finally:
        batch.kill()
    assert batch.returncode == 130, stderr
    assert "interrupted; finished outputs are kept, a rerun resumes" in stderr
    assert "Traceback" not in stderr
    rows = manifest_rows(out / "batch.csv")
    done = [p for p in inputs if rows[p.name]["status"] == "done"]
    assert 2 <= len(done) < len(inputs)
    assert {rows[p.name]["status"] for p in inputs} <= {"done", "interrupted", "not run"}
    made = sorted(out.rglob("line*.csv"))
    assert made == sorted(out / p.parent.name / (p.stem + ".csv") for p in done)
    assert made[0].read_bytes() == rendered(done[0], tmp_path / "ref.csv")
    assert leftovers(out) == []
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                              "--workers", "2")  # fmt: skip
    assert code == 0 and f"{len(inputs) - len(done)} done, {len(done)} skipped" in stdout


# -- a real Dask cluster: scheduler and two workers, each its own process -------------------------

def tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.address = f"tcp://127.0.0.1:{tcp_port()}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        pytest.importorskip("distributed")
        with (self.folder / f"dask-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                       stderr=subprocess.STDOUT, cwd=self.folder)  # fmt: skip
        self.processes.append(process)
        return process

    def start(self, workers: int = 2) -> Cluster:
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        for k in range(workers):
            self.workers.append(self._start(
                "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                "--name", f"w{k}", "--local-directory", str(self.folder / f"w{k}")))  # fmt: skip
        distributed = pytest.importorskip("distributed")
        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        return self

    def stop(self) -> None:
        """Workers first (they say goodbye to the scheduler), then the scheduler."""
        scheduler, *workers = self.processes
        for group in (workers, [scheduler]):
            for process in group:
                if process.poll() is None:
                    process.terminate()
            for process in group:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield running.start()
    finally:
        running.stop()


def test_dask_cluster_renders_byte_for_byte_lists_bad_items_and_reruns_nothing(
    tmp_path: Path, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = timelines_tree(tmp_path / "in", 8, bad=2)
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)  # relative paths, on workers whose working folder is another
    code, stdout, stderr = run_cli("batch", "render", "in", "-o", "out", "--scheduler",
                                   cluster.address, "--format", "npz")  # fmt: skip
    assert code == 2, stderr
    assert re.search(r"8 done, 2 failed of 10 items .* on Dask scheduler tcp://127\.0\.0\.1:\d+ "
                     r"\(2 workers, 2 threads\)", stdout), stdout  # fmt: skip
    rows = manifest_rows(out / "batch.csv")
    for path in inputs[:8]:
        made = out / path.parent.name / (path.stem + ".npz")
        assert made.read_bytes() == rendered(path, tmp_path / "ref.npz"), path
    assert len({rows[p.name]["worker"] for p in inputs[:8]}) == 2  # both workers took items
    for path in inputs[8:]:
        row = rows[path.name]
        assert (row["status"], row["input"]) == ("failed", str(path.relative_to(tmp_path)))
        assert row["error"].startswith(f"{path}: line 2: fps: ")  # where the worker read it
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(
        [p.stem + ".npz" for p in inputs[:8]] + ["batch.csv"])  # fmt: skip

    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.address)
    (out / "b" / "line000.npz").unlink()
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                              "--format", "npz")  # fmt: skip
    assert code == 2 and "1 done, 7 skipped, 2 failed of 10 items" in stdout
    assert "on Dask scheduler" in stdout
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                              "--format", "npz")  # fmt: skip
    assert code == 2 and "8 skipped, 2 failed of 10 items" in stdout
    assert "no workers (nothing to run)" in stdout


def test_ctrl_c_on_a_cluster_keeps_what_finished_and_a_rerun_completes(
    tmp_path: Path, cluster: Cluster
) -> None:
    inputs = timelines_tree(tmp_path / "in", 16, duration=200.0)
    out = tmp_path / "out"
    batch = subprocess.Popen(cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                 "--scheduler", cluster.address), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=default_sigint)  # fmt: skip
    try:
        assert wait_for(lambda: len(list(out.rglob("line*.csv"))) >= 2, timeout=120)
        batch.send_signal(signal.SIGINT)
        stdout, stderr = batch.communicate(timeout=60)
    finally:
        batch.kill()
    assert batch.returncode == 130, stderr
    assert "Traceback" not in stderr
    rows = manifest_rows(out / "batch.csv")
    statuses = [rows[p.name]["status"] for p in inputs]
    assert "done" in statuses and "interrupted" in statuses
    assert set(statuses) <= {"done", "interrupted"}
    assert wait_for(lambda: not leftovers(out), timeout=60)  # what ran on goes on, whole
    code, stdout, _ = run_cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                              "--scheduler", cluster.address)  # fmt: skip
    assert code == 0 and "16 items" in stdout
    for path in inputs[::5]:
        assert (out / path.parent.name / (path.stem + ".csv")).read_bytes() == rendered(
            path, tmp_path / "ref.csv")  # fmt: skip


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    own = Cluster(tmp_path / "dask")
    own.folder.mkdir()
    own.start()
    try:
        inputs = timelines_tree(tmp_path / "in", 12, duration=150.0)
        out = tmp_path / "out"
        batch = subprocess.Popen(cli("batch", "render", str(tmp_path / "in"), "-o", str(out),
                                     "--scheduler", own.address), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert wait_for(lambda: len(list(out.rglob("line*.csv"))) >= 3, timeout=120)
            own.workers[0].kill()  # SIGKILL: whatever it was writing is left half-done
            stdout, stderr = batch.communicate(timeout=180)
        finally:
            batch.kill()
    finally:
        own.stop()
    assert batch.returncode == 0, stdout + stderr
    assert "12 done of 12 items" in stdout
    rows = manifest_rows(out / "batch.csv")
    assert {rows[p.name]["status"] for p in inputs} == {"done"}
    made = sorted(out.rglob("*.csv"))
    assert made == sorted([out / p.parent.name / (p.stem + ".csv") for p in inputs]
                          + [out / "batch.csv"])  # fmt: skip
    assert leftovers(out) == []
    for path in inputs[::5]:
        assert (out / path.parent.name / (path.stem + ".csv")).read_bytes() == rendered(
            path, tmp_path / "ref.csv")  # fmt: skip


# -- tracking ----------------------------------------------------------------------------------


def face_video(face: FaceKit, path: Path, *, smile: float, frames: int = 45) -> Path:
    """1 s neutral (the calibration), then a smile rising to ``smile``."""
    cv2 = pytest.importorskip("cv2")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (256, 256))
    for i in range(frames):
        amount = smile * min(1.0, max(0.0, (i - FPS) / 10))
        image = face.image if amount == 0 else face.lift_corners(0.08 * amount)
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def live_record(video: Path, output: Path) -> bytes:
    done = subprocess.run(cli("live", "--video", str(video), "--record", str(output), "--fast"),
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return output.read_bytes()


@pytest.fixture(scope="module")
def videos(face: FaceKit, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """Three takes (two smiles, one shifted face) and what ``live --record`` makes of each."""
    cv2 = pytest.importorskip("cv2")
    root = tmp_path_factory.mktemp("videos")
    paths = [face_video(face, root / "day1" / "a.avi", smile=1.0),
             face_video(face, root / "day1" / "b.avi", smile=0.5, frames=40),
             face_video(face, root / "day2" / "c.avi", smile=0.8)]  # fmt: skip
    references = [live_record(p, root / f"ref{k}.csv") for k, p in enumerate(paths)]
    stills = root / "stills"  # a folder of images: one take, timed by --image-fps
    stills.mkdir()
    for i in range(30):
        image = face.image if i < 24 else face.lift_corners(0.06)
        cv2.imwrite(str(stills / f"{i + 1}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    done = subprocess.run(cli("live", "--images", str(stills), "--fps", "24", "--record",
                              str(root / "ref_stills.csv"), "--fast"),
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root, [*references, (root / "ref_stills.csv").read_bytes()]


def test_a_bad_scheduler_address_or_no_dask_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    timeline(tmp_path / "in" / "x.toml", seed=1)
    args = ("batch", "render", str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    code, _, err = run_cli(*args, "--scheduler", "tcp://somehost")
    assert code == 2
    assert err == ("avatardrive: error: scheduler address 'tcp://somehost': missing port number in "
                   "address 'somehost'; expected tcp://HOST:PORT (a `dask scheduler` listens on "
                   "8786)\n")  # fmt: skip
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the batch extra were missing
    code, _, err = run_cli(*args, "--scheduler", "tcp://127.0.0.1:8786")
    assert (code, err) == (2, "avatardrive: error: --scheduler needs Dask on this machine and on "
                              "the workers: pip install 'avatardrive[batch]'\n")  # fmt: skip
    assert not (tmp_path / "out" / "x.csv").exists()


@pytest.mark.parametrize("where", ["one local worker", "the Dask cluster"])
def test_batch_track_makes_what_live_records(
    videos: tuple[Path, list[bytes]], tmp_path: Path, where: str, request: pytest.FixtureRequest
) -> None:
    root, expected = videos
    (tmp_path / "bad.mp4").write_text("not a video")
    take = livelink_csv(tmp_path / "take.csv", [i / 60 for i in range(30)], [0.5] * 30)
    engine = (["--workers", "1"] if where == "one local worker"
              else ["--scheduler", request.getfixturevalue("cluster").address])  # fmt: skip
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("batch", "track", str(root / "**" / "*.avi"), str(take),
                                   str(tmp_path / "bad.mp4"), str(root / "stills"), "-o", str(out),
                                   "--image-fps", "24", *engine)  # fmt: skip
    assert code == 2, stderr
    assert "5 done, 1 failed of 6 items" in stdout
    assert re.search(r"failed: .*bad\.mp4: the video does not open", stderr), stderr
    made = [out / "day1" / "a.csv", out / "day1" / "b.csv", out / "day2" / "c.csv",
            out / "stills.csv"]  # fmt: skip
    for path, reference in zip(made, expected, strict=True):
        assert path.read_bytes() == reference, path  # the same worker's backend, reset between
    code, _, err = run_cli("convert", str(take), "-o", str(tmp_path / "take_ref.csv"))
    assert code == 0, err
    assert (out / "take.csv").read_bytes() == (tmp_path / "take_ref.csv").read_bytes()
    smile = read_au_curves(made[0]).column("AU12_L")
    assert smile[:25].max() < 0.1 < 0.2 < smile[-1]  # tracked, not a neutral


def test_a_reset_backend_tracks_like_a_new_one(
    videos: tuple[Path, list[bytes]], tmp_path: Path
) -> None:
    root, _ = videos
    first, second = root / "day1" / "a.avi", root / "day2" / "c.avi"
    options = TrackerOptions()  # the cached official model (make test fetches it)

    def track(backend: FaceLandmarkerBackend, video: Path, output: Path) -> bytes:
        source = options.open_source(video)
        try:
            track_file(source, options.tracker(backend), output)
        finally:
            source.close()
        return output.read_bytes()

    with options.open_backend() as used:
        track(used, first, tmp_path / "first.csv")
        used.reset()
        again = track(used, second, tmp_path / "reset.csv")
    with options.open_backend() as fresh:
        assert again == track(fresh, second, tmp_path / "fresh.csv")
