"""Reading emotion back from AU frames: probabilities over neutral and the seven basic emotions,
a valence-arousal estimate and a "felt smile" (Duchenne) score, from the prototype library.

No trained model: every prototype of the ``canonical``, ``dong``, ``matsumoto`` and ``du`` sets
(``emotions.toml``) is matched against the frame, and the best match of each emotion is its
evidence. A match is *recall* times *precision*, in the relative-intensity space of the face:

- **recall** — how much of the prototype's core AUs is present: each core AU counts as present
  once it reaches half the level its prototype intensity asks for, relative to the strongest
  core AU of that prototype in the frame (so 0.5 and 0.9 renders read alike); key AUs weigh
  twice;
- **precision** — how much of the face's activation the prototype explains (its core and
  optional AUs); unexplained activation weighs once, three times when it is an AU that Dong et
  al.'s coding rules tie to another emotion (AU12 positive; AU2 surprise; AU4 negative; AU16,
  AU22, AU23 anger; AU20 fear; AU7, AU24 disgust; AU43 sadness), or the antagonist of one of
  the prototype's own AUs (AU15 against AU12 and back).

Sides: a frame's AU is split into its symmetric part ``min(L, R)`` and the one-sided rest. Both-
side prototype AUs read the symmetric part and explain the rest (natural asymmetry costs
nothing); one-sided prototype AUs (contempt's U12+U14) read the one-sided part of one side only,
so a one-sided AU12+AU14 reads contempt and the same AUs on both sides read a smile. Du, Tao &
Martinez's compound categories count as mixtures: a happily surprised face gives half its match
to happiness and half to surprise.

Evidence ``E`` becomes probabilities as ``E**3`` normalized (at least by ``0.4**3``, so a face
that matches nothing well stays partly neutral), times the expression strength: the strongest
expressive AU mapped through a smoothstep from 0.05 (neutral) to 0.2 (fully expressive). Valence
and arousal are the probability-weighted circumplex positions of the emotions (neutral at 0, 0).
Blinks (AU45, AU46), head and gaze codes and action descriptors are not read.

:class:`EmotionReader` adds temporal smoothing for live streams: a causal median of the last
three frames (a single-frame spike never registers) followed by a one-pole low-pass (80 ms), so
a 0.3 s micro-expression still does.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.curves import Curves
from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, action_units, channel_index, channel_unit
from avatardrive.synth._library import EmotionLibrary, Prototype, emotion_library

__all__ = [
    "AFFECT",
    "ANTAGONISTS",
    "BASIC_EMOTIONS",
    "DEFAULT_SMOOTHING",
    "EMOTIONS",
    "READOUT_NAMES",
    "READOUT_RANGES",
    "READ_SETS",
    "RULE_AUS",
    "EmotionModel",
    "EmotionReader",
    "EmotionReading",
    "ReadoutSmoothing",
    "compile_model",
    "emotion_model",
    "missing_channels",
    "prototype_emotions",
    "read_emotion_curves",
    "read_emotions",
    "smooth_frames",
]

FloatArray = npt.NDArray[np.float32]

#: The read-out's emotions, neutral first.
EMOTIONS: tuple[str, ...] = (
    "neutral", "happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt",
)  # fmt: skip
#: The seven basic emotions (every emotion but neutral).
BASIC_EMOTIONS: tuple[str, ...] = EMOTIONS[1:]
#: The values of one read-out, in order: the emotion probabilities, then valence and arousal.
READOUT_NAMES: tuple[str, ...] = (*EMOTIONS, "valence", "arousal")
#: The range of each read-out value: probabilities in [0, 1], valence and arousal in [-1, 1].
READOUT_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        name: ((-1.0, 1.0) if name in ("valence", "arousal") else (0.0, 1.0))
        for name in READOUT_NAMES
    }
)

#: Circumplex positions (valence, arousal) of each emotion, both in [-1, 1]. A convention [C]
#: after Russell 1980 (J Pers Soc Psychol 39:1161), not a measurement: pleasant-unpleasant on
#: valence, activated-deactivated on arousal, neutral at the origin.
AFFECT: Mapping[str, tuple[float, float]] = MappingProxyType({
    "neutral": (0.0, 0.0),
    "happiness": (0.8, 0.5),
    "sadness": (-0.7, -0.4),
    "surprise": (0.1, 0.8),
    "fear": (-0.6, 0.8),
    "anger": (-0.7, 0.7),
    "disgust": (-0.7, 0.3),
    "contempt": (-0.5, 0.2),
})  # fmt: skip

#: Dong et al. 2022 (Front Psychol 12:784834) coding rules: an AU -> the emotions it points to.
#: Active and unexplained by a prototype of another emotion, such an AU weighs three times.
RULE_AUS: Mapping[int, frozenset[str]] = MappingProxyType({
    12: frozenset({"happiness"}),
    2: frozenset({"surprise"}),
    4: frozenset({"sadness", "fear", "anger", "disgust"}),
    16: frozenset({"anger"}),
    22: frozenset({"anger"}),
    23: frozenset({"anger"}),
    20: frozenset({"fear"}),
    7: frozenset({"disgust"}),
    24: frozenset({"disgust"}),
    43: frozenset({"sadness"}),
})  # fmt: skip

#: Antagonist AUs [C]: the lip corner depressor (AU15) pulls against the lip corner puller
#: (AU12). Unexplained activation of an AU's antagonist weighs three times for a prototype that
#: has the AU.
ANTAGONISTS: Mapping[int, frozenset[int]] = MappingProxyType({
    12: frozenset({15}),
    15: frozenset({12}),
})  # fmt: skip

#: The prototype sets read, and how their names map to emotions.
READ_SETS = ("canonical", "dong", "matsumoto", "du")
#: Du, Tao & Martinez 2014 categories -> emotions; compounds ("happily_surprised") are split
#: into their adverb and adjective. appalled / hatred (disgust with anger) and awed (fear with
#: surprise) follow the paper's description of them as compounds.
_DU_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "happy": ("happiness",), "sad": ("sadness",), "fearful": ("fear",), "angry": ("anger",),
    "surprised": ("surprise",), "disgusted": ("disgust",),
    "happily": ("happiness",), "sadly": ("sadness",), "fearfully": ("fear",),
    "angrily": ("anger",), "disgustedly": ("disgust",),
    "appalled": ("disgust", "anger"), "hatred": ("anger", "disgust"),
    "awed": ("fear", "surprise"),
})  # fmt: skip

_KEY_WEIGHT = 2.0  # a key AU counts twice in recall
_PRESENT_AT = 0.5  # a core AU is fully present at half its relative prototype intensity
_RULE_WEIGHT = 3.0  # unexplained activation of another emotion's rule AU
_SHARPEN = 3.0  # evidence exponent before normalizing
_FLOOR = 0.4**_SHARPEN  # normalizer floor: weak matches leave mass to neutral
_NEUTRAL_BELOW = 0.05  # strongest expressive AU at or below this: neutral
_EXPRESSIVE_ABOVE = 0.2  # at or above this: fully expressive
_DUCHENNE_RATIO = 0.5  # AU6 at half of AU12 or more: the full Duchenne marker
_NOT_READ = frozenset({45, 46})  # blinks and winks say nothing about emotion
_TINY = 1e-6


def _expressive_units() -> tuple[int, ...]:
    return tuple(u.number for u in action_units() if u.kind == "au" and u.number not in _NOT_READ)


def prototype_emotions(prototype: Prototype) -> tuple[str, ...]:
    """The emotions a prototype of the read sets stands for (two for a compound; none if the
    prototype is not one of the seven basic emotions or their compounds)."""
    base = prototype.name.split(".")[0]
    if prototype.set != "du":
        return (base,) if base in BASIC_EMOTIONS else ()
    words = base.split("_")
    found: list[str] = []
    for word in words:
        found.extend(_DU_WORDS.get(word, ()))
    return tuple(dict.fromkeys(found)) if all(w in _DU_WORDS for w in words) else ()


@dataclass(frozen=True, eq=False)
class EmotionModel:
    """The prototype library compiled into arrays for :func:`read_emotions`.

    Features of a frame: for every expressive unit, the symmetric part ``min(L, R)``, then the
    left-only part, then the right-only part; one extra feature at the end is always 0 (the
    padding of the recall table).

    Attributes
    ----------
    units : tuple of int
        The expressive AU numbers read, U of them.
    left, right : ndarray of intp, shape (U,)
        Their channel indices in :data:`avatardrive.facs.CHANNELS`.
    names : tuple of str
        One label per compiled prototype, P of them (``"canonical:contempt@R"``).
    recall_index : ndarray of intp, shape (P, K)
        Feature of each core AU (padding: the zero feature).
    recall_weight : ndarray of float32, shape (P, K)
        1, or 2 for a key AU; 0 for padding.
    recall_target : ndarray of float32, shape (P, K)
        Core intensity relative to the prototype's strongest core AU (padding: 1).
    explained : ndarray of float32, shape (F, P)
        1 where the prototype explains a feature.
    unexplained : ndarray of float32, shape (F, P)
        The weight of a feature's activation the prototype does not explain (1 or 3; 0 where
        it does explain it).
    emotion_of : ndarray of intp, shape (Q,)
        Index into :data:`EMOTIONS` of each (prototype, emotion) pair, sorted by emotion.
    prototype_of : ndarray of intp, shape (Q,)
        The prototype of each pair.
    share : ndarray of float32, shape (Q,)
        1, or 1/2 for the components of a compound.
    starts : ndarray of intp, shape (7,)
        Where each basic emotion's pairs start (every emotion has at least one).
    affect : ndarray of float32, shape (8, 2)
        :data:`AFFECT` in the order of :data:`EMOTIONS`.
    prototype_units : tuple of tuple of int
        The AU numbers (core and optional) each prototype names.
    """

    units: tuple[int, ...]
    left: npt.NDArray[np.intp]
    right: npt.NDArray[np.intp]
    names: tuple[str, ...]
    recall_index: npt.NDArray[np.intp]
    recall_weight: FloatArray
    recall_target: FloatArray
    explained: FloatArray
    unexplained: FloatArray
    emotion_of: npt.NDArray[np.intp]
    prototype_of: npt.NDArray[np.intp]
    share: FloatArray
    starts: npt.NDArray[np.intp]
    affect: FloatArray = field(repr=False)
    prototype_units: tuple[tuple[int, ...], ...] = field(default=(), repr=False)

    @property
    def sides(self) -> npt.NDArray[np.intp]:
        """(2U,): the left channels of the units, then the right ones."""
        return self._scoring.sides

    @functools.cached_property
    def _scoring(self) -> _Scoring:
        return _Scoring.of(self)

    @property
    def n_features(self) -> int:
        """F: three features per unit (the constant feature not counted)."""
        return 3 * len(self.units)

    def n_pairs(self) -> int:
        """Q: (prototype, emotion) pairs scored, a compound counting once per emotion."""
        return len(self.prototype_of)

    def channels_read(self) -> tuple[str, ...]:
        """The AU channels the scoring reads, in channel order."""
        used = sorted({*self.left.tolist(), *self.right.tolist()})
        return tuple(CHANNELS[i] for i in used)

    def rule_channels(self) -> tuple[str, ...]:
        """The channels of every AU a prototype or a coding rule names, in channel order."""
        numbers = set(RULE_AUS).union(*self.prototype_units)
        return tuple(c for c in CHANNELS if channel_unit(channel_index(c)) in numbers)


@dataclass(frozen=True, eq=False)
class _Scoring:
    """The model laid out for scoring: one row per (prototype, emotion) pair, sorted by emotion,
    with the compound share folded into the recall weights, so that an emotion's evidence is one
    ``maximum.reduceat`` over the rows. Feature ``F`` (after the 3U real ones) is a constant
    :data:`_TINY`: every recall row has it as padding (so a row's maximum is never 0) and every
    precision denominator counts it once (so it is never 0)."""

    sides: npt.NDArray[np.intp]  # (2U,)
    recall_index: npt.NDArray[np.intp]  # (K + 1, Q): transposed, reductions run along rows
    inverse_target: FloatArray  # (K + 1, Q)
    recall_scale: FloatArray  # (K + 1, Q): weight / sum(weight) * share / _PRESENT_AT
    precision_matrix: FloatArray  # (F + 1, 2Q): explained | explained + weighted unexplained
    starts: npt.NDArray[np.intp]  # (7,)

    @classmethod
    def of(cls, model: EmotionModel) -> _Scoring:
        rows, n_feat = model.prototype_of, model.n_features
        pad = np.full((len(rows), 1), n_feat, dtype=np.intp)
        weight = model.recall_weight[rows] / model.recall_weight[rows].sum(axis=1, keepdims=True)
        scale = weight * (model.share[:, None] / _PRESENT_AT)
        numerator = np.vstack([model.explained[:, rows], np.zeros((1, len(rows)))])
        denominator = np.vstack([(model.explained + model.unexplained)[:, rows],
                                 np.ones((1, len(rows)))])  # fmt: skip
        index = np.hstack([model.recall_index[rows], pad])
        inverse = np.hstack([1.0 / model.recall_target[rows], np.ones(pad.shape)])
        recall_scale = np.hstack([scale, np.zeros(pad.shape)])
        keep = _distinct_rows(model.emotion_of, index, inverse, recall_scale, numerator.T,
                              denominator.T)  # fmt: skip
        return cls(
            sides=np.concatenate([model.left, model.right]),
            recall_index=np.ascontiguousarray(index[keep].T),
            inverse_target=np.ascontiguousarray(inverse[keep].T, dtype=np.float32),
            recall_scale=np.ascontiguousarray(recall_scale[keep].T, dtype=np.float32),
            precision_matrix=np.ascontiguousarray(
                np.hstack([numerator[:, keep], denominator[:, keep]]), dtype=np.float32),
            starts=np.searchsorted(model.emotion_of[keep], np.arange(1, len(EMOTIONS))),
        )


def _distinct_rows(emotion_of: npt.NDArray[np.intp], *tables: npt.NDArray[Any]) -> list[int]:
    """Rows to keep: the first of rows that score alike for the same emotion (the same prototype
    in several sets), which can only tie within their emotion's maximum."""
    seen: set[tuple[int, bytes]] = set()
    keep = []
    for row, emotion in enumerate(emotion_of.tolist()):
        key = (emotion, b"".join(np.ascontiguousarray(t[row], dtype=np.float64).tobytes()
                                 for t in tables))  # fmt: skip
        if key not in seen:
            seen.add(key)
            keep.append(row)
    return keep


@dataclass
class _Compiled:
    name: str
    emotions: tuple[str, ...]
    core: list[tuple[int, float, float]]  # feature, weight, intensity
    explained: set[int]
    units: tuple[int, ...]


def _side_variants(prototype: Prototype) -> Iterator[tuple[str, dict[int, str | None]]]:
    """A prototype with ``U`` keys becomes a left and a right variant."""
    keys = [*prototype.aus, *prototype.optional]
    if any(key.side == "U" for key, _ in keys):
        for side in ("L", "R"):
            yield f"@{side}", {k.number: (side if k.side == "U" else k.side) for k, _ in keys}
    else:
        yield "", {k.number: k.side for k, _ in keys}


def _features(unit_slot: int, n_units: int, side: str | None) -> tuple[int, list[int]]:
    """(recall feature, explained features) of one AU of a prototype."""
    left, right = n_units + unit_slot, 2 * n_units + unit_slot
    if side is None:
        return unit_slot, [unit_slot, left, right]
    return (left, [left]) if side == "L" else (right, [right])


def _compile_prototype(prototype: Prototype, slots: Mapping[int, int]) -> list[_Compiled]:
    emotions = prototype_emotions(prototype)
    if not emotions:
        return []
    n_units = len(slots)
    result = []
    for suffix, sides in _side_variants(prototype):
        core: list[tuple[int, float, float]] = []
        explained: set[int] = set()
        for key, value in prototype.aus:
            if key.number not in slots:
                continue
            feature, covers = _features(slots[key.number], n_units, sides[key.number])
            weight = _KEY_WEIGHT if key.number in prototype.key else 1.0
            core.append((feature, weight, value))
            explained.update(covers)
        for key, _ in prototype.optional:
            if key.number in slots:
                explained.update(_features(slots[key.number], n_units, sides[key.number])[1])
        if core:
            named = tuple(k.number for k, _ in (*prototype.aus, *prototype.optional))
            label = f"{prototype.qualified_name}{suffix}"
            result.append(_Compiled(label, emotions, core, explained, named))
    return result


def compile_model(library: EmotionLibrary, *, sets: Sequence[str] = READ_SETS) -> EmotionModel:
    """Compile the prototypes of ``sets`` into an :class:`EmotionModel`.

    Raises
    ------
    ParameterError
        If a set is unknown, or a basic emotion ends up with no prototype.
    """
    for name in sets:
        if name not in library.sets:
            raise ParameterError(
                f"prototype set {name!r} is not in the library; expected one of "
                f"{', '.join(library.sets)}"
            )
    units = _expressive_units()
    slots = {number: i for i, number in enumerate(units)}
    compiled = [c for p in library if p.set in sets for c in _compile_prototype(p, slots)]
    n_feat, n_proto = 3 * len(units), len(compiled)
    width = max(len(c.core) for c in compiled)
    index = np.full((n_proto, width), n_feat, dtype=np.intp)
    weight = np.zeros((n_proto, width), dtype=np.float32)
    target = np.ones((n_proto, width), dtype=np.float32)
    explained = np.zeros((n_feat, n_proto), dtype=np.float32)
    unexplained = np.ones((n_feat, n_proto), dtype=np.float32)
    rule_weight = _rule_weights(units, compiled)
    for p, c in enumerate(compiled):
        top = max(value for _, _, value in c.core)
        for k, (feature, w, value) in enumerate(c.core):
            index[p, k], weight[p, k], target[p, k] = feature, w, value / top
        covered = sorted(c.explained)
        unexplained[:, p] = rule_weight[:, p]
        explained[covered, p] = 1.0
        unexplained[covered, p] = 0.0
    pairs = sorted(
        (
            (EMOTIONS.index(e), p, 1.0 / len(c.emotions))
            for p, c in enumerate(compiled)
            for e in c.emotions
        )
    )
    emotion_of = np.array([e for e, _, _ in pairs], dtype=np.intp)
    missing = [e for e in BASIC_EMOTIONS if EMOTIONS.index(e) not in set(emotion_of.tolist())]
    if missing:
        raise ParameterError(
            f"no prototype of {', '.join(missing)} in sets {', '.join(sets)}; "
            f"expected every basic emotion to have one"
        )
    starts = np.searchsorted(emotion_of, np.arange(1, len(EMOTIONS))).astype(np.intp)
    affect = np.array([AFFECT[e] for e in EMOTIONS], dtype=np.float32)
    return EmotionModel(
        units=units,
        left=np.array([channel_index(f"AU{u}_L") for u in units], dtype=np.intp),
        right=np.array([channel_index(f"AU{u}_R") for u in units], dtype=np.intp),
        names=tuple(c.name for c in compiled),
        recall_index=index,
        recall_weight=weight,
        recall_target=target,
        explained=explained,
        unexplained=unexplained,
        emotion_of=emotion_of,
        prototype_of=np.array([p for _, p, _ in pairs], dtype=np.intp),
        share=np.array([s for _, _, s in pairs], dtype=np.float32),
        starts=starts,
        affect=affect,
        prototype_units=tuple(c.units for c in compiled),
    )


def _rule_weights(units: Sequence[int], compiled: Sequence[_Compiled]) -> FloatArray:
    """(F, P): 3 where a feature belongs to a rule AU of emotions other than the prototype's."""
    n_units = len(units)
    weights = np.ones((3 * n_units, len(compiled)), dtype=np.float32)
    for slot, number in enumerate(units):
        points_to = RULE_AUS.get(number, frozenset())
        for p, c in enumerate(compiled):
            opposed = any(number in ANTAGONISTS.get(own, ()) for own in c.units)
            if opposed or (points_to and not points_to.intersection(c.emotions)):
                weights[[slot, n_units + slot, 2 * n_units + slot], p] = _RULE_WEIGHT
    return weights


@cache
def emotion_model() -> EmotionModel:
    """The model of the shipped library (compiled once)."""
    return compile_model(emotion_library())


@dataclass(frozen=True, eq=False)
class EmotionReading:
    """Read-outs of one or more frames.

    Attributes
    ----------
    values : ndarray of float32, shape (frames, 10) or (10,)
        Columns :data:`READOUT_NAMES`: the eight probabilities (summing to 1), valence and
        arousal in [-1, 1].
    felt : ndarray of float32, shape (frames,) or ()
        Felt-smile score in [0, 1]: the happiness probability times the Duchenne marker (AU6
        with AU12; full when AU6 reaches half of AU12).
    """

    values: FloatArray
    felt: FloatArray

    def __getitem__(self, name: str) -> FloatArray:
        """One column by name: ``reading["fear"]``."""
        return self.values[..., READOUT_NAMES.index(name)]

    def top(self) -> list[str] | str:
        """The most probable emotion (per frame)."""
        best = np.argmax(self.values[..., : len(EMOTIONS)], axis=-1)
        if best.ndim == 0:
            return EMOTIONS[int(best)]
        return [EMOTIONS[i] for i in best.tolist()]

    def as_dict(self) -> dict[str, float]:
        """One frame's read-out as ``{name: value}`` (plus ``"felt"``)."""
        if self.values.ndim != 1:
            raise ParameterError(
                f"as_dict needs one frame; this reading has {self.values.shape[0]}"
            )
        out = dict(zip(READOUT_NAMES, self.values.tolist(), strict=True))
        out["felt"] = float(self.felt)
        return out


def _smoothstep(x: FloatArray) -> FloatArray:
    t = np.clip((x - _NEUTRAL_BELOW) / (_EXPRESSIVE_ABOVE - _NEUTRAL_BELOW), 0.0, 1.0)
    eased: FloatArray = t * t * (3.0 - 2.0 * t)
    return eased


def _score(au: FloatArray, model: EmotionModel) -> tuple[FloatArray, FloatArray]:
    """Read (T, N_CHANNELS) -> (T, 10) read-out and (T,) felt score."""
    n, count, layout = len(model.units), au.shape[0], model._scoring
    sides = au[:, layout.sides]  # (T, 2U): left then right
    feats = np.full((count, 3 * n + 1), _TINY, dtype=np.float32)
    sym = np.minimum(sides[:, :n], sides[:, n:], out=feats[:, :n])
    np.subtract(sides.reshape(count, 2, n), sym[:, None, :],
                out=feats[:, n : 3 * n].reshape(count, 2, n))  # fmt: skip
    # recall: core AUs present relative to the prototype's own strongest core AU
    relative = feats[:, layout.recall_index] * layout.inverse_target  # (T, K + 1, Q)
    np.divide(relative, relative.max(axis=1, keepdims=True), out=relative)
    np.minimum(relative, np.float32(_PRESENT_AT), out=relative)
    recall = (relative * layout.recall_scale).sum(axis=1)
    # precision: the share of the face's activation the prototype explains
    both = feats @ layout.precision_matrix  # (T, 2Q): explained, explained + unexplained
    half = both.shape[1] // 2
    match = recall * both[:, :half] / both[:, half:]  # (T, Q)
    weight = np.maximum.reduceat(match, layout.starts, axis=1)  # (T, 7) evidence
    weight *= weight * weight
    strength = _smoothstep(sides.max(axis=1))
    total = np.maximum(weight.sum(axis=1), np.float32(_FLOOR))
    out = np.empty((count, len(READOUT_NAMES)), dtype=np.float32)
    probs = out[:, : len(EMOTIONS)]
    np.multiply(weight, (strength / total)[:, None], out=probs[:, 1:])
    probs[:, 0] = 1.0 - probs[:, 1:].sum(axis=1)
    np.maximum(probs[:, 0], 0.0, out=probs[:, 0])
    out[:, len(EMOTIONS) :] = probs @ model.affect
    cheek, smile = sym[:, model.units.index(6)], sym[:, model.units.index(12)]
    marker = np.minimum(cheek / np.maximum(smile * np.float32(_DUCHENNE_RATIO), _TINY), 1.0)
    felt = np.where(smile > 0, probs[:, 1] * marker, 0.0).astype(np.float32)
    return out, felt


class _FrameScorer:
    """:func:`_score` for one frame, on buffers prepared once (the live path: every numpy call
    writes into place, the scalars are Python floats)."""

    def __init__(self, model: EmotionModel) -> None:
        layout = model._scoring
        n, (width, n_pairs) = len(model.units), layout.recall_index.shape
        self.model, self.layout, self.n = model, layout, n
        self.sides = np.zeros(2 * n, dtype=np.float32)
        self.feats = np.full(3 * n + 1, _TINY, dtype=np.float32)
        self.relative = np.zeros((width, n_pairs), dtype=np.float32)
        self.scale = np.zeros((1, n_pairs), dtype=np.float32)
        self.recall = np.zeros(n_pairs, dtype=np.float32)
        self.both = np.zeros(2 * n_pairs, dtype=np.float32)
        self.evidence = np.zeros(len(BASIC_EMOTIONS), dtype=np.float32)
        self.out = np.zeros(len(READOUT_NAMES), dtype=np.float32)
        self.six, self.twelve = model.units.index(6), model.units.index(12)
        self.felt = 0.0

    def score(self, au: FloatArray) -> FloatArray:
        layout, n, feats, rel, recall = self.layout, self.n, self.feats, self.relative, self.recall
        sides = np.take(au, layout.sides, out=self.sides)
        np.minimum(sides[:n], sides[n:], out=feats[:n])
        np.subtract(sides.reshape(2, n), feats[:n], out=feats[n : 3 * n].reshape(2, n))
        np.take(feats, layout.recall_index, out=rel)
        np.multiply(rel, layout.inverse_target, out=rel)
        np.divide(rel, np.maximum.reduce(rel, axis=0, keepdims=True, out=self.scale), out=rel)
        np.minimum(rel, _PRESENT_AT, out=rel)
        np.multiply(rel, layout.recall_scale, out=rel)
        np.add.reduce(rel, axis=0, out=recall)
        both = np.dot(feats, layout.precision_matrix, out=self.both)
        np.multiply(recall, both[: len(recall)], out=recall)
        np.divide(recall, both[len(recall) :], out=recall)
        weight = np.maximum.reduceat(recall, layout.starts, out=self.evidence)
        np.power(weight, _SHARPEN, out=weight)
        strength = _smoothstep_scalar(float(sides.max()))
        out, total = self.out, float(weight.sum())
        factor = strength / max(total, _FLOOR)
        np.multiply(weight, factor, out=out[1:8])
        out[0] = max(1.0 - factor * total, 0.0)
        np.dot(out[:8], self.model.affect, out=out[8:])
        cheek, smile = float(feats[self.six]), float(feats[self.twelve])
        marker = min(cheek / max(smile * _DUCHENNE_RATIO, _TINY), 1.0) if smile > 0 else 0.0
        self.felt = float(out[1]) * marker
        return out


def _smoothstep_scalar(x: float) -> float:
    t = min(max((x - _NEUTRAL_BELOW) / (_EXPRESSIVE_ABOVE - _NEUTRAL_BELOW), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _as_frames(au: npt.ArrayLike, what: str) -> tuple[FloatArray, bool]:
    array = np.asarray(au, dtype=np.float32)
    single = array.ndim == 1
    frames = array[None, :] if single else array
    if frames.ndim != 2 or frames.shape[1] != N_CHANNELS:
        raise ParameterError(
            f"{what} has shape {array.shape}; expected (frames, {N_CHANNELS}) "
            f"or ({N_CHANNELS},) in the order of facs.CHANNELS"
        )
    return np.fmin(np.fmax(frames, np.float32(0.0)), np.float32(1.0)), single  # NaN -> 0


_CHUNK = 8192  # frames scored at once: bounds the (T, P, K) temporary to a few tens of MB


def read_emotions(au: npt.ArrayLike, *, model: EmotionModel | None = None) -> EmotionReading:
    """Read AU frames as emotions, frame by frame (no smoothing).

    Parameters
    ----------
    au : array_like, shape (frames, N_CHANNELS) or (N_CHANNELS,)
        AU channels in the order of :data:`avatardrive.facs.CHANNELS`, values in [0, 1]
        (NaN reads as 0, values outside are clipped).
    model : EmotionModel, optional
        Default: :func:`emotion_model`.

    Returns
    -------
    EmotionReading
        ``values`` shaped (frames, 10) or (10,), columns :data:`READOUT_NAMES`.
    """
    frames, single = _as_frames(au, "au")
    model = model or emotion_model()
    parts = [_score(frames[i : i + _CHUNK], model) for i in range(0, len(frames), _CHUNK)]
    if parts:
        values = np.concatenate([p[0] for p in parts])
        felt = np.concatenate([p[1] for p in parts])
    else:
        values = np.zeros((0, len(READOUT_NAMES)), dtype=np.float32)
        felt = np.zeros(0, dtype=np.float32)
    if single:
        return EmotionReading(values[0], felt[0])
    return EmotionReading(values, felt)


@dataclass(frozen=True)
class ReadoutSmoothing:
    """Temporal smoothing of the read-out's input.

    Parameters
    ----------
    median_frames
        Causal running median over this many frames (odd; 1 = off). Three removes any
        single-frame spike whatever the frame rate.
    tau
        Time constant of the one-pole low-pass after the median, seconds (0 = off). 80 ms keeps
        a 0.3 s micro-expression at most of its height.
    """

    median_frames: int = 3
    tau: float = 0.08

    def __post_init__(self) -> None:
        if self.median_frames not in (1, 3):
            raise ParameterError(f"median_frames is {self.median_frames!r}; expected 1 or 3")
        if not (math.isfinite(self.tau) and self.tau >= 0):
            raise ParameterError(f"tau is {self.tau!r}; expected seconds >= 0")


DEFAULT_SMOOTHING = ReadoutSmoothing()


class _BatchSmoother:
    """The smoothing of :class:`EmotionReader` over chunks of frames, state carried across
    chunks: the last two frames (median of three) and the low-pass state."""

    def __init__(self, fps: float, smoothing: ReadoutSmoothing) -> None:
        self.smoothing = smoothing
        self.alpha = -math.expm1(-1.0 / (fps * smoothing.tau)) if smoothing.tau > 0 else 1.0
        self._previous: FloatArray | None = None  # (2, C): the two frames before the chunk
        self._state: npt.NDArray[np.float64] | None = None  # (C, 1): lfilter's state

    def __call__(self, frames: FloatArray) -> FloatArray:
        if len(frames) == 0:
            return frames
        out = self._median(frames) if self.smoothing.median_frames == 3 else frames
        return self._low_pass(out) if self.smoothing.tau > 0 else out

    def _median(self, frames: FloatArray) -> FloatArray:
        previous = np.repeat(frames[:1], 2, axis=0) if self._previous is None else self._previous
        window = np.concatenate([previous, frames])
        self._previous = window[-2:].copy()
        now, before, before2 = window[2:], window[1:-1], window[:-2]
        low, high = np.minimum(now, before), np.maximum(now, before)
        median: FloatArray = np.maximum(low, np.minimum(high, before2, out=high), out=low)
        return median

    def _low_pass(self, frames: FloatArray) -> FloatArray:
        from scipy.signal import lfilter  # imported on use: `import avatardrive` stays light

        by_channel = np.ascontiguousarray(frames.T, dtype=np.float64)  # lfilter is fast on rows
        if self._state is None:
            self._state = (1.0 - self.alpha) * by_channel[:, :1]  # starts at the first frame
        filtered, self._state = lfilter([self.alpha], [1.0, self.alpha - 1.0], by_channel,
                                        axis=1, zi=self._state)  # fmt: skip
        return np.ascontiguousarray(filtered.T, dtype=np.float32)


def smooth_frames(frames: FloatArray, fps: float, smoothing: ReadoutSmoothing) -> FloatArray:
    """Apply ``smoothing`` to (T, C) frames sampled at ``fps`` (the batch form of
    :meth:`EmotionReader.update`, equal to it frame for frame)."""
    return _BatchSmoother(fps, smoothing)(np.asarray(frames, dtype=np.float32))


def read_emotion_curves(
    curves: Curves,
    *,
    smoothing: ReadoutSmoothing | None = DEFAULT_SMOOTHING,
    model: EmotionModel | None = None,
) -> EmotionReading:
    """Read AU curves as emotions, smoothed as a live :class:`EmotionReader` would.

    Parameters
    ----------
    curves : Curves
        AU curves, ``names == CHANNELS`` (other names are matched by name; channels missing
        read as 0).
    smoothing : ReadoutSmoothing or None
        ``None`` reads every frame on its own.

    Returns
    -------
    EmotionReading
        ``values`` shaped (frames, 10). Worked through in chunks of a few thousand frames, so
        an hour at 60 fps needs a few tens of MB beyond the result.
    """
    model = model or emotion_model()
    smooth = None if smoothing is None else _BatchSmoother(curves.fps, smoothing)
    count = len(curves.values)
    values = np.empty((count, len(READOUT_NAMES)), dtype=np.float32)
    felt = np.empty(count, dtype=np.float32)
    for begin in range(0, count, _CHUNK):
        frames, _ = _as_frames(_channel_frames(curves, begin, begin + _CHUNK), "curves")
        if smooth is not None:
            frames = smooth(frames)
        values[begin : begin + _CHUNK], felt[begin : begin + _CHUNK] = _score(frames, model)
    return EmotionReading(values, felt)


def _channel_frames(curves: Curves, begin: int, end: int) -> FloatArray:
    rows = curves.values[begin:end]
    if curves.names == CHANNELS:
        return rows
    frames = np.zeros((len(rows), N_CHANNELS), dtype=np.float32)
    lookup = {name.casefold(): i for i, name in enumerate(CHANNELS)}
    for column, name in enumerate(curves.names):
        if name.casefold() in lookup:
            frames[:, lookup[name.casefold()]] = rows[:, column]
    return frames


def missing_channels(
    available: Iterable[str], *, model: EmotionModel | None = None
) -> tuple[str, ...]:
    """The channels a prototype or coding rule needs that ``available`` lacks (read as 0)."""
    have = {name.casefold() for name in available}
    needed = (model or emotion_model()).rule_channels()
    return tuple(c for c in needed if c.casefold() not in have)


class EmotionReader:
    """A live read-out: AU frames in, smoothed emotion probabilities out.

    Satisfies the read-out seam of ``avatardrive.transport`` (``names``, ``channels``,
    ``ranges``, ``update``), so a generic OSC stream with ``?emotions=1`` can carry it.

    Parameters
    ----------
    smoothing : ReadoutSmoothing or None
        Default: median of three frames, then an 80 ms low-pass. ``None``: no smoothing.
    model : EmotionModel, optional
        Default: :func:`emotion_model`.

    Attributes
    ----------
    names : tuple of str
        :data:`READOUT_NAMES`.
    channels : tuple of str
        The AU channel order :meth:`update` expects: :data:`avatardrive.facs.CHANNELS`.
    ranges : mapping
        ``name -> (lo, hi)`` of every read-out value.
    felt : float
        The felt-smile score of the last frame.
    """

    names: tuple[str, ...] = READOUT_NAMES
    channels: tuple[str, ...] = CHANNELS
    ranges: Mapping[str, tuple[float, float]] = READOUT_RANGES

    def __init__(
        self,
        *,
        smoothing: ReadoutSmoothing | None = DEFAULT_SMOOTHING,
        model: EmotionModel | None = None,
    ) -> None:
        self.smoothing = smoothing or ReadoutSmoothing(median_frames=1, tau=0.0)
        self.model = model or emotion_model()
        self._scorer = _FrameScorer(self.model)
        self._history = np.zeros((3, N_CHANNELS), dtype=np.float32)
        self._state = np.zeros(N_CHANNELS, dtype=np.float32)
        self._median = np.zeros(N_CHANNELS, dtype=np.float32)
        self._high = np.zeros(N_CHANNELS, dtype=np.float32)
        self._step = np.zeros(N_CHANNELS, dtype=np.float32)
        self._time: float | None = None
        self._slot = 0

    @property
    def felt(self) -> float:
        """The felt-smile score of the last frame read."""
        return self._scorer.felt

    def reset(self) -> None:
        """Forget the past frames (a new stream)."""
        self._time = None
        self._scorer.felt = 0.0

    def update(self, au: FloatArray, time: float) -> FloatArray:
        """Read one AU frame.

        Parameters
        ----------
        au : ndarray of float32, shape (N_CHANNELS,)
            Channels in the order of :attr:`channels`, values in [0, 1] (NaN reads as 0,
            values outside are clipped).
        time : float
            The frame's time in seconds (sets the low-pass step; time running backwards
            restarts the smoothing).

        Returns
        -------
        ndarray of float32, shape (10,)
            :data:`READOUT_NAMES`; a buffer reused by the next call (copy it to keep it).
        """
        if au.shape != (N_CHANNELS,):
            raise ParameterError(
                f"au has shape {au.shape}; expected ({N_CHANNELS},) in the order of facs.CHANNELS"
            )
        if self._time is not None and time < self._time:
            self.reset()
        history, slot = self._history, self._slot
        np.fmin(np.fmax(au, 0.0, out=history[slot]), 1.0, out=history[slot])  # NaN -> 0
        if self._time is None:  # the first frame fills the window and the low-pass
            history[:] = history[slot]
            self._state[:] = history[slot]
            self._time = time
            return self._scorer.score(self._state)
        self._slot = (slot + 1) % 3  # a ring: the median of three does not care about order
        return self._scorer.score(self._smooth(history[slot], time))

    def _smooth(self, current: FloatArray, time: float) -> FloatArray:
        history, state = self._history, self._state
        if self.smoothing.median_frames == 3:
            low = np.minimum(history[0], history[1], out=self._median)
            high = np.maximum(history[0], history[1], out=self._high)
            np.minimum(high, history[2], out=high)
            current = np.maximum(low, high, out=self._median)
        dt = max(time - (self._time if self._time is not None else time), 0.0)
        self._time = time
        if self.smoothing.tau <= 0:
            state[:] = current
            return state
        alpha = -math.expm1(-dt / self.smoothing.tau)
        np.subtract(current, state, out=self._step)
        np.multiply(self._step, alpha, out=self._step)
        return np.add(state, self._step, out=state)
