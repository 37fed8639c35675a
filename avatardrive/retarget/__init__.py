"""Retargeting: rig files, the forward map AU -> rig weights, the inverse solve weights -> AU.

A rig (versioned TOML; built-ins in the top-level ``rigs/`` folder, shipped as package data) maps
AU channels to target shapes: per shape a weighted sum of channels plus nonlinear terms (products
and minima of channels, for correctives and emotion-level shapes), then a response curve, gain,
offset, clamp and the rig's value scale. See the README, "Rigs".

- load: :func:`load_rig` (built-in name or path), :func:`loads_rig` (text), :func:`builtin_rigs`
- forward: :meth:`Rig.forward` (curves), :meth:`Rig.forward_frame` (one frame, streaming)
- inverse: :meth:`Rig.inverse`, :meth:`Rig.inverse_frame`, :meth:`Rig.inexpressible`
- names: :meth:`Rig.shape_index`, :func:`match_columns`, :func:`shape_key`
- VRChat: :class:`VRCFTParameters` (VRCFaceTracking v2 simplified/combined parameters, gaze, head)
"""

from avatardrive._shapes import shape_key
from avatardrive.retarget._builtin import builtin_rigs
from avatardrive.retarget._columns import ColumnMatch, match_columns
from avatardrive.retarget._inverse import TIKHONOV
from avatardrive.retarget._load import load_rig, loads_rig
from avatardrive.retarget._report import InverseReport
from avatardrive.retarget._rig import Rig
from avatardrive.retarget._spec import (
    RESPONSE_CURVES,
    RIG_FORMAT_VERSION,
    SCALES,
    TERM_OPS,
    RigShape,
    RigTerm,
)
from avatardrive.retarget._vrcft import VRCFTParameters, v2_parameter_names

__all__ = [
    "RESPONSE_CURVES",
    "RIG_FORMAT_VERSION",
    "SCALES",
    "TERM_OPS",
    "TIKHONOV",
    "ColumnMatch",
    "InverseReport",
    "Rig",
    "RigShape",
    "RigTerm",
    "VRCFTParameters",
    "builtin_rigs",
    "load_rig",
    "loads_rig",
    "match_columns",
    "shape_key",
    "v2_parameter_names",
]
