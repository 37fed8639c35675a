"""Fuzzing whole paths with a small budget (a long campaign: ``benchmarks/fuzz.py``).

Timeline text -> load -> render -> retarget (every built-in rig) -> encode; rig text -> load ->
forward and inverse; curve files -> read; OpenFace and Live Link takes -> load_input -> retarget
-> encode; datagrams -> the control listener. Always the same
property: a clean AvatarDriveError with a short one-line message, or finite output in range.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avatardrive.errors import TimelineError
from avatardrive.transport import ControlListener, TriggerEmotion
from tests.fuzzing import FindingError, case_input, run_case, to_toml
from tests.receivers import wait_for


@pytest.mark.parametrize(("kind", "budget"), [("timeline", 80), ("rig", 40), ("curves", 80),
                                              ("take", 60), ("datagram", 400)])  # fmt: skip
def test_generated_and_mutated_cases_keep_the_property(kind: str, budget: int) -> None:
    outcomes = [run_case(case_input(kind, seed)) for seed in range(budget)]
    assert "ok" in outcomes and "error" in outcomes  # the generator reaches both sides


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**48), st.sampled_from(["timeline", "rig", "curves", "take", "datagram"]))
def test_any_seed_of_any_kind_keeps_the_property(seed: int, kind: str) -> None:
    run_case(case_input(kind, seed))


finite = st.floats(allow_nan=False, allow_infinity=False)
anything = st.one_of(finite, st.integers(-(10**30), 10**30), st.text(max_size=8), st.booleans(),
                     st.floats(0, 1))  # fmt: skip
events = st.fixed_dictionaries(
    {"start": st.one_of(st.floats(0, 30), anything)},
    optional={
        "emotion": st.sampled_from(["happiness", "anger", "contempt", "surprise", "x"]),
        "intensity": st.one_of(st.floats(0, 1), st.sampled_from("ABCDEF"), anything),
        "onset": st.one_of(st.floats(0.001, 3), anything),
        "apex": st.one_of(st.floats(0, 3), anything),
        "offset": st.one_of(st.floats(0.001, 3), anything),
        "micro": st.booleans(),
        "asymmetry": st.one_of(st.floats(-1, 1), anything),
        "style": st.sampled_from(["posed", "spontaneous"]),
    },
)
timelines = st.fixed_dictionaries(
    {"version": st.just(1), "events": st.lists(events, max_size=6)},
    optional={
        "fps": st.sampled_from([1, 24, 30, 60, 1000]),
        "duration": st.one_of(st.floats(0.001, 40), anything),
        "seed": st.integers(0, 2**63 - 1),
        "blend": st.sampled_from(["max", "sum", "priority"]),
        "blink": st.fixed_dictionaries({"rate": st.floats(0, 120)}),
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines)
def test_hypothesis_timelines_load_render_retarget_and_encode(data: dict[str, Any]) -> None:
    from tests.fuzzing import CaseInput

    run_case(CaseInput("timeline", 0, to_toml(data).encode(), ".toml"))


def test_a_finding_names_what_broke() -> None:
    from tests.fuzzing import check_error, check_values

    with pytest.raises(FindingError, match=r"1 values are not finite"):
        check_values("render", np.array([0.0, np.nan]), 0.0, 1.0)
    with pytest.raises(FindingError, match=r"values in \[0.0, 2.0\]; expected \[0.0, 1.0\]"):
        check_values("render", np.array([0.0, 2.0]), 0.0, 1.0)
    error = TimelineError("short")
    error.args = ("a message\nof two lines",)  # as if built around the error tree
    with pytest.raises(FindingError, match=r"error message of \d+ characters"):
        check_error(error)


def test_control_listener_survives_random_datagrams_on_a_real_socket() -> None:
    datagrams = [case_input("datagram", seed).data for seed in range(500)]
    with ControlListener() as listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for data in datagrams:
            tx.sendto(data, listener.address)
            time.sleep(0.0005)  # let the receiver keep up: the content is the point, not the rate
        valid = b"/avatardrive/emotion\x00\x00\x00\x00,sf\x00happiness\x00\x00\x00" + bytes(4)
        tx.sendto(valid[:-4] + np.array(0.5, dtype=">f4").tobytes(), listener.address)
        assert wait_for(lambda: listener.stats.received == len(datagrams) + 1, timeout=10)
        assert listener.running
        commands: list[object] = []
        while batch := listener.poll():  # at most poll_limit commands a call
            commands += batch
        assert any(isinstance(c, TriggerEmotion) and c.name == "happiness" for c in commands)
        stats = listener.stats
        assert stats.accepted >= 1 and stats.malformed > 100  # hostile ones counted, not fatal


#: Cases that long campaigns (benchmarks/fuzz.py) once found broken, kept as regressions:
#: a blink rate of 5e-324 per minute (a mean interval of infinity), and an NPZ whose zip entry
#: claims compressed patched data (zipfile's NotImplementedError).
FOUND = [("timeline", 30488), ("curves", 12976)]


@pytest.mark.parametrize(("kind", "seed"), FOUND)
def test_cases_found_by_campaigns_stay_fixed(kind: str, seed: int) -> None:
    assert run_case(case_input(kind, seed)) in ("ok", "error")
