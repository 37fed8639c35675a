"""A fuzz campaign over whole paths: generated and mutated inputs, counted.

    python benchmarks/fuzz.py --cases 20000 --kinds timeline
    python benchmarks/fuzz.py --cases 5000 --kinds rig,curves,datagram

Each case is one seed of ``tests/fuzzing.py`` (timeline text -> load -> render -> every built-in
rig -> encode; rig text -> load -> forward and inverse; curve file -> read; datagram -> control
parser). Per kind it prints the cases tried, how many rendered/loaded fine, how many ended in a
clean one-line error, and how many broke the property (another exception, a NaN, a value out of
range, a long or multi-line message) with the first reproduction of each distinct finding saved
to ``--out``; then the peak memory (RSS) and the slowest case. Exit status 1 if anything broke.
Replay a saved case with ``--replay FILE`` (the kind is read from its name).
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzzing import KINDS, CaseInput, FindingError, case_input, run_case


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def campaign(kind: str, cases: int, first_seed: int, out: Path) -> int:
    """Run ``cases`` seeds of ``kind``; print the figures; return the number of findings."""
    counts: Counter[str] = Counter()
    findings: dict[str, Path] = {}
    slowest, slowest_seed = 0.0, -1
    began = time.perf_counter()
    for seed in range(first_seed, first_seed + cases):
        case = case_input(kind, seed)
        start = time.perf_counter()
        try:
            counts[run_case(case, folder=None)] += 1
        except FindingError as finding:
            counts["finding"] += 1
            key = re.sub(r"\d+", "N", str(finding)[:48])  # one entry per kind of failure
            if key not in findings:
                findings[key] = _save(case, out, str(finding))
        spent = time.perf_counter() - start
        if spent > slowest:
            slowest, slowest_seed = spent, seed
    total = time.perf_counter() - began
    print(
        f"{kind:<9} cases {cases:>6}  fine {counts['ok']:>6}  clean errors {counts['error']:>6}  "
        f"other {counts['finding']:>4}  ({total:.0f} s, {cases / total:.0f} cases/s)"
    )
    print(f"{'':<9} peak memory {_peak_mb():.0f} MB; slowest case seed {slowest_seed} "
          f"in {slowest * 1000:.0f} ms")  # fmt: skip
    for key, path in findings.items():
        print(f"{'':<9} FINDING {key}: first reproduction {path}")
    sys.stdout.flush()
    return counts["finding"]


def _save(case: CaseInput, out: Path, finding: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{case.kind}-{case.seed}{case.suffix}"
    path.write_bytes(case.data)
    path.with_name(path.name + ".txt").write_text(finding + "\n", encoding="utf-8")
    return path


def replay(path: Path) -> int:
    kind = path.name.split("-")[0]
    case = CaseInput(kind, 0, path.read_bytes(), path.suffix)
    try:
        print(f"{path}: {run_case(case)}")
        return 0
    except FindingError as finding:
        print(f"{path}: FINDING {finding}")
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases per kind (default 1000)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated: {KINDS}")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"),
                        help="folder for reproductions (default ./fuzz-findings)")  # fmt: skip
    parser.add_argument("--replay", type=Path, help="run one saved case and show the outcome")
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kinds {unknown}; expected some of {KINDS}")
    print(f"fuzz campaign: {args.cases} cases per kind, seeds from {args.seed}", flush=True)
    found = sum(campaign(kind, args.cases, args.seed, args.out) for kind in kinds)
    print(f"total findings: {found}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
