"""The compiled rig: forward map AU -> weights, inverse solve weights -> AU, name matching."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive._shapes import shape_key
from avatardrive.curves import Curves
from avatardrive.errors import ParameterError
from avatardrive.facs import CHANNELS, N_CHANNELS, channel_index
from avatardrive.retarget._bones import BoneMap, RigBone, compile_bones
from avatardrive.retarget._columns import match_columns
from avatardrive.retarget._compile import (
    ForwardMap,
    compile_shapes,
    fill_features,
    respond,
    unrespond,
)
from avatardrive.retarget._inverse import InverseModel, build_inverse, solve_drives
from avatardrive.retarget._report import InverseReport, analyse
from avatardrive.retarget._spec import RigShape, RigSpec

__all__ = ["FORWARD_CHUNK", "Rig"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: Frames per block in :meth:`Rig.forward` (keeps the feature array in cache).
FORWARD_CHUNK = 4096


def _shape_problem(array: npt.NDArray[Any], length: int, what: str) -> str | None:
    if array.shape != (length,):
        return f"{what} has shape {array.shape}; expected ({length},)"
    if array.dtype.kind not in "biuf":
        return f"{what} has dtype {array.dtype}; expected real numbers"
    return None


class Rig:
    """A compiled, immutable rig: target shapes and the maps between AU channels and them.

    Build one with :func:`avatardrive.retarget.load_rig`.

    Attributes
    ----------
    name : str
    version : int
        Format version of the rig file.
    source : str
        The file it was read from.
    title, description : str
    scale : float
        1.0 or 100.0: weights run over ``[0, scale]``.
    shape_names : tuple of str
        Canonical output names, in output order.
    shapes : tuple of RigShape
        The shapes as written in the file (for display).
    rest : np.ndarray, float32, shape (n_shapes,)
        Weights of a neutral face (all AU channels 0): 0 for most shapes, 1 x scale for
        openness-style shapes (gain -1, offset 1).
    bones : tuple of RigBone
        Head and eye bones the head and gaze channels rotate (Neck, Head, LeftEye, RightEye;
        those the rig declares), see :meth:`bone_frame`.
    bone_names : tuple of str
        Their names, in that order.
    """

    name: str
    version: int
    source: str
    title: str
    description: str
    scale: float
    shape_names: tuple[str, ...]
    shapes: tuple[RigShape, ...]
    rest: F32
    bones: tuple[RigBone, ...]
    bone_names: tuple[str, ...]
    _bones: BoneMap
    _fmap: ForwardMap
    _lookup: Mapping[str, int]

    def __init__(self, spec: RigSpec) -> None:
        fmap = compile_shapes(spec.shapes, scale=spec.scale)
        lookup = {shape_key(text): i for i, s in enumerate(spec.shapes) for text in s.aliases}
        lookup.update({shape_key(s.name): i for i, s in enumerate(spec.shapes)})
        values: dict[str, object] = {
            "name": spec.name,
            "version": spec.version,
            "source": spec.source,
            "title": spec.title,
            "description": spec.description,
            "scale": spec.scale,
            "shape_names": tuple(s.name for s in spec.shapes),
            "shapes": spec.shapes,
            "_fmap": fmap,
            "_lookup": MappingProxyType(lookup),
        }
        bone_map = compile_bones(spec.bones)
        values.update(bones=bone_map.bones, bone_names=bone_map.names, _bones=bone_map)
        for key, value in values.items():
            object.__setattr__(self, key, value)
        rest = self.forward_frame(np.zeros(N_CHANNELS, dtype=np.float32))
        rest.setflags(write=False)
        object.__setattr__(self, "rest", rest)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(f"Rig is immutable; cannot set {key!r}")

    def __repr__(self) -> str:
        return f"Rig({self.name!r}, {self.n_shapes} shapes, scale {self.scale:g})"

    @property
    def n_shapes(self) -> int:
        """Number of target shapes."""
        return len(self.shape_names)

    @property
    def name_lookup(self) -> Mapping[str, int]:
        """Shape index by matching key (see :func:`shape_key`) of every name and alias."""
        return self._lookup

    # -- names -------------------------------------------------------------------------------

    def shape_index(self, name: str) -> int:
        """Index of a shape by its name or an alias, in any accepted spelling.

        Case is ignored, and so are ``_ . -`` separators and the side spelling: for arkit52,
        ``eyeBlinkLeft``, ``EyeBlinkLeft`` and ``eyeBlink_L`` are all shape 0.

        Raises
        ------
        ParameterError
            No shape answers to ``name``.
        """
        if not isinstance(name, str):
            raise ParameterError(f"shape name is {name!r}; expected a string")
        index = self._lookup.get(shape_key(name))
        if index is None:
            shown = ", ".join(self.shape_names[:6])
            raise ParameterError(
                f"rig {self.name!r} has no shape {name!r}; expected one of {shown}, ... "
                f"({self.n_shapes} shapes; `avatardrive rig show {self.name}` lists them)"
            )
        return index

    # -- forward -----------------------------------------------------------------------------

    def forward_frame(self, au: npt.ArrayLike, out: F32 | None = None) -> F32:
        """Rig weights of one AU frame.

        Parameters
        ----------
        au : array_like, shape (N_CHANNELS,)
            AU channels in :data:`~avatardrive.facs.CHANNELS` order. NaN and values below 0 count
            as 0, values above 1 (and +inf) as 1.
        out : np.ndarray, float32, shape (n_shapes,), optional
            Written in place and returned (no allocation for the result).

        Returns
        -------
        np.ndarray, float32, shape (n_shapes,)
            Weights in ``[0, scale]``, never NaN.
        """
        values = np.asarray(au)
        problem = _shape_problem(values, N_CHANNELS, "au")
        if problem is not None:
            raise ParameterError(problem)
        fmap = self._fmap
        if out is None:
            out = np.empty(fmap.n_shapes, dtype=np.float32)
        elif out.shape != (fmap.n_shapes,) or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ParameterError(
                f"out has shape {out.shape} and dtype {out.dtype}; expected a contiguous "
                f"float32 array of shape ({fmap.n_shapes},)"
            )
        features = np.empty(fmap.n_features, dtype=np.float32)
        fill_features(fmap, values, features)
        np.dot(fmap.weights_rows, features, out=out)
        respond(fmap, out)
        return out

    def forward(self, curves: Curves) -> Curves:
        """Rig weights of AU curves, over the whole array.

        Parameters
        ----------
        curves : Curves
            AU curves, shape (frames, N_CHANNELS) with ``names == CHANNELS``; other column sets
            are accepted when every name is an AU channel (missing channels count as 0).
            NaN and out-of-range values are treated as in :meth:`forward_frame`.

        Returns
        -------
        Curves
            float32 weights in ``[0, scale]``, shape (frames, n_shapes), ``names ==
            shape_names``, same fps and start.
        """
        if not isinstance(curves, Curves):
            raise ParameterError(f"curves is a {type(curves).__name__}; expected Curves")
        values = _au_values(curves)
        fmap = self._fmap
        frames = values.shape[0]
        out = np.empty((frames, fmap.n_shapes), dtype=np.float32)
        features = np.empty((min(frames, FORWARD_CHUNK), fmap.n_features), dtype=np.float32)
        for first in range(0, frames, FORWARD_CHUNK):
            last = min(frames, first + FORWARD_CHUNK)
            block = features[: last - first]
            fill_features(fmap, values[first:last], block)
            np.matmul(block, fmap.weights, out=out[first:last])
            respond(fmap, out[first:last])
        return Curves(out, fps=curves.fps, start=curves.start, names=self.shape_names)

    # -- bones -------------------------------------------------------------------------------

    @property
    def bone_positions(self) -> F32:
        """Local bone positions (metres, Unity axes), shape (n_bones, 3), read-only."""
        return self._bones.positions

    def bone_frame(self, au: npt.ArrayLike) -> tuple[F32, F32]:
        """Bone angles and Unity local rotations of one AU frame.

        Parameters
        ----------
        au : array_like, shape (N_CHANNELS,)
            AU channels; NaN counts as 0, values are clipped to [0, 1].

        Returns
        -------
        angles : np.ndarray, float32, shape (n_bones, 3)
            Yaw, pitch, roll in degrees, avatardrive's signs (:mod:`avatardrive.facs`), each
            bone's share and limits applied.
        rotations : np.ndarray, float32, shape (n_bones, 4)
            Local rotations as quaternions ``(x, y, z, w)`` in Unity's convention
            (left-handed, Y up; the conversion is documented in ``retarget/_bones.py``).
        """
        values = np.asarray(au)
        problem = _shape_problem(values, N_CHANNELS, "au")
        if problem is not None:
            raise ParameterError(problem)
        return self._bones.frame(values)

    def bone_angles(self, curves: Curves) -> F64:
        """Bone angles over AU curves, shape (frames, n_bones, 3), degrees (:meth:`bone_frame`)."""
        if not isinstance(curves, Curves):
            raise ParameterError(f"curves is a {type(curves).__name__}; expected Curves")
        return self._bones.angles(_au_values(curves))

    def bone_rotations(self, angles: npt.ArrayLike) -> F64:
        """Unity local quaternions ``(x, y, z, w)`` of bone angles, shape (..., n_bones, 4)."""
        return self._bones.quaternions(angles)

    # -- inverse -----------------------------------------------------------------------------

    @cached_property
    def _inverse(self) -> InverseModel:
        return build_inverse(self._fmap)

    def inverse_frame(self, weights: npt.ArrayLike) -> F32:
        """AU channel estimates of one frame of rig weights.

        Parameters
        ----------
        weights : array_like, shape (n_shapes,)
            Weights in rig order, on the rig's scale. NaN counts as the shape's rest value.

        Returns
        -------
        np.ndarray, float32, shape (N_CHANNELS,)
            AU channels in [0, 1]; channels the rig cannot express (:meth:`inexpressible`)
            come back 0, merged sides come back equal.
        """
        values = np.asarray(weights)
        problem = _shape_problem(values, self.n_shapes, "weights")
        if problem is not None:
            raise ParameterError(problem)
        channels: F32 = self._solve(values.astype(np.float64)[None, :])[0]
        return channels

    def inverse(self, weights: Curves) -> Curves:
        """AU curves estimated from rig weight curves (bounded least squares).

        Parameters
        ----------
        weights : Curves
            Weight curves, shape (frames, columns), on the rig's scale. Columns are matched to
            shapes by name or alias (:func:`match_columns`); columns naming no shape are ignored,
            and shapes without a column are taken at rest (0 for all but openness-style shapes).

        Returns
        -------
        Curves
            AU curves, float32 in [0, 1], shape (frames, N_CHANNELS), ``names == CHANNELS``,
            same fps and start.
        """
        if not isinstance(weights, Curves):
            raise ParameterError(f"weights is a {type(weights).__name__}; expected Curves")
        match = match_columns(self, weights.names)
        values = np.empty((weights.n_frames, self.n_shapes), dtype=np.float64)
        values[:] = self.rest
        values[:, match.targets] = weights.values[:, match.columns]
        return Curves(self._solve(values), fps=weights.fps, start=weights.start, names=CHANNELS)

    def _solve(self, values: F64) -> F32:
        """Weights (frames, n_shapes) float64, overwritten -> AU channels float32."""
        bad = np.isnan(values)
        if bad.any():
            values[bad] = np.broadcast_to(self.rest, values.shape)[bad]
        unrespond(self._fmap, values)  # clips into the rig's range too
        channels = solve_drives(self._inverse, values)  # in [0, 1] by construction
        result: F32 = channels.astype(np.float32)
        np.nan_to_num(result, copy=False, nan=0.0)  # a last guard: no NaN ever leaves a rig
        np.maximum(result, 0.0, out=result)  # and kept there whatever the rounding
        np.minimum(result, 1.0, out=result)
        return result

    def inexpressible(self) -> InverseReport:
        """Which AU channels this rig cannot express on their own.

        Returns
        -------
        InverseReport
            Channels with no path at all (AU23 through ARKit), AUs whose sides only reach the
            rig together (AU1 through the single ``browInnerUp``), other groups only seen in
            combination, and the channels recovered on their own.
        """
        return self._report

    @cached_property
    def _report(self) -> InverseReport:
        return analyse(self.name, self._inverse)


def _au_values(curves: Curves) -> F32:
    """The AU channels of ``curves`` in channel order, shape (frames, N_CHANNELS)."""
    if curves.names == CHANNELS:
        return curves.values
    values = np.zeros((curves.n_frames, N_CHANNELS), dtype=np.float32)
    for j, name in enumerate(curves.names):
        try:
            values[:, channel_index(name)] = curves.values[:, j]
        except ParameterError:
            raise ParameterError(
                f"column {name!r} is not an AU channel; expected AU curves (AU1_L, AU1_R, ...)"
            ) from None
    return values
