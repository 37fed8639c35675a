"""ARKit blendshapes in tracking: index by name and the left/right swap of a mirror image.

"Left" in an ARKit name is the performer's own left (Apple's convention, also MediaPipe's and
Live Link Face's).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from avatardrive._shapes import ARKIT_NAMES, shape_key

__all__ = ["ARKIT_NAMES", "arkit_index", "mirror_permutation"]

@cache
def _lookup() -> dict[str, int]:
    return {shape_key(name): i for i, name in enumerate(ARKIT_NAMES)}


def arkit_index(name: str) -> int | None:
    """Index of an ARKit blendshape in :data:`ARKIT_NAMES`, or ``None`` for another name.

    Matching ignores case and accepts ``_L`` / ``_R`` for ``Left`` / ``Right``.
    """
    return _lookup().get(shape_key(name))


@cache
def mirror_permutation() -> npt.NDArray[np.intp]:
    """Index array that swaps every ``...Left`` shape with its ``...Right`` partner.

    ``weights[mirror_permutation()]`` turns weights measured on a mirror image into the
    performer's own sides.
    """
    perm = np.arange(len(ARKIT_NAMES), dtype=np.intp)
    for i, name in enumerate(ARKIT_NAMES):
        for a, b in (("Left", "Right"), ("Right", "Left")):
            if name.endswith(a):
                partner = arkit_index(name[: -len(a)] + b)
                assert partner is not None
                perm[i] = partner
    return perm
