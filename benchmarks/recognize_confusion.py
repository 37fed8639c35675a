"""Our own renders read back: the emotion read-out's confusion matrix, as Markdown.

Every basic emotion of the default (canonical) set is rendered in both styles at intensities 0.5
and 0.9 with several seeds (blinks on), and read back at its apex (the frame of largest total
activation, blinks left out) with the live smoothing. Then every other prototype of the library
(variants, the other sets, Du et al.'s compounds, the extra categories) is rendered posed at 0.9
and its two most probable readings listed.

    python benchmarks/recognize_confusion.py [--seeds 10]
"""

from __future__ import annotations

import argparse

import numpy as np

from avatardrive.facs import channel_index
from avatardrive.synth import (
    BASIC_EMOTIONS,
    EMOTIONS,
    emotion_library,
    read_emotion_curves,
    render,
)
from avatardrive.timeline import Timeline

_BLINKS = [channel_index("AU45_L"), channel_index("AU45_R")]


def apex_reading(emotion: str, *, style: str, intensity: float, seed: int) -> np.ndarray:
    """The read-out (READOUT_NAMES) at the apex of one rendered expression."""
    timeline = Timeline(seed=seed, blink_rate=17.0)
    timeline.emotion(emotion, at=0.5, intensity=intensity, style=style, apex=1.0)
    curves = render(timeline)
    activity = curves.values.copy()
    activity[:, _BLINKS] = 0.0
    return read_emotion_curves(curves).values[int(np.argmax(activity.sum(axis=1)))]


def basic_matrix(seeds: int) -> None:
    conditions = [(style, intensity) for style in ("posed", "spontaneous") for intensity in
                  (0.5, 0.9)]  # fmt: skip
    print(f"Rendered (rows; {len(conditions) * seeds} renders each: posed and spontaneous, "
          f"intensity 0.5 and 0.9, {seeds} seeds) against read top-1 (columns), and the mean "
          f"and lowest probability of the rendered emotion at the apex:\n")  # fmt: skip
    print("| rendered | " + " | ".join(EMOTIONS) + " | mean p | min p |")
    print("|---" * (len(EMOTIONS) + 3) + "|")
    for emotion in BASIC_EMOTIONS:
        counts = dict.fromkeys(EMOTIONS, 0)
        own = []
        for style, intensity in conditions:
            for seed in range(seeds):
                values = apex_reading(emotion, style=style, intensity=intensity, seed=seed)
                counts[EMOTIONS[int(np.argmax(values[: len(EMOTIONS)]))]] += 1
                own.append(float(values[EMOTIONS.index(emotion)]))
        cells = " | ".join(str(counts[e]) if counts[e] else "·" for e in EMOTIONS)
        print(f"| {emotion} | {cells} | {np.mean(own):.2f} | {min(own):.2f} |")


def other_prototypes() -> None:
    print("\nEvery other prototype, rendered posed at 0.9, read at its apex (the two most "
          "probable emotions):\n")  # fmt: skip
    print("| prototype | reads as | then |")
    print("|---|---|---|")
    for prototype in emotion_library():
        name = prototype.qualified_name
        if prototype.set == "canonical" and "." not in prototype.name:
            continue  # the basic emotions above
        values = apex_reading(name, style="posed", intensity=0.9, seed=0)[: len(EMOTIONS)]
        first, second = np.argsort(values)[::-1][:2]
        print(f"| {name} | {EMOTIONS[first]} {values[first]:.2f} | "
              f"{EMOTIONS[second]} {values[second]:.2f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per condition (10)")
    args = parser.parse_args()
    basic_matrix(args.seeds)
    other_prototypes()


if __name__ == "__main__":
    main()
