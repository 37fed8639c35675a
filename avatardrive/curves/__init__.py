"""AU curves: the container, its operations and its files.

A :class:`Curves` holds values over time on a uniform frame grid, a float32 array shaped
``(frames, columns)`` with time first so that one frame is one contiguous row. AU curves name their
columns by :data:`avatardrive.facs.CHANNELS`; rig weights by a rig's shape names.

- build: :class:`Curves`, :func:`au_curves`, :func:`zeros`, :func:`from_samples` (timed samples)
- operate: ``slice``, ``resample``, ``clamp``, ``select``, ``equals`` and :func:`blend`
  (policies ``max``, ``sum``, ``priority``)
- files: :func:`read_curves`, :func:`read_au_curves`, :func:`write_curves` (CSV, NPZ, JSON),
  :class:`CurveWriter` (the same files written chunk by chunk)
"""

from avatardrive.curves._blend import BLEND_POLICIES, blend
from avatardrive.curves._curves import Curves, au_curves, zeros
from avatardrive.curves._io import CURVE_SUFFIXES, read_au_curves, read_curves, write_curves
from avatardrive.curves._timed import from_samples
from avatardrive.curves._writer import CurveWriter

__all__ = [
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
]
