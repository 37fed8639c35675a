"""The astronaut's face (``skimage.data.astronaut()``) and warps of it: smiles, brows, lids.

Shared by the tests (``conftest.py``) and the benchmarks (which put ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def astronaut_face() -> Image:
    """The astronaut photo cropped to 256 x 256 around the face (RGB)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[0:256, 97:353])


class FaceKit:
    """The astronaut's face (256 x 256 crop), its MediaPipe landmarks, and warps that move them.

    Displacements are in inter-ocular units (outer eye corners 33-263), image axes (+y down).
    Mesh indices are MediaPipe's: in this unmirrored photo 291/263/... are the performer's left.
    """

    def __init__(self, image: Image, mesh: npt.NDArray[np.float32]) -> None:
        self.image = image
        self.mesh = mesh.astype(np.float64)
        self.iod = float(np.linalg.norm(self.mesh[263, :2] - self.mesh[33, :2]))

    def warp(
        self,
        moves: Mapping[int, tuple[float, float]],
        *,
        sigma: float = 0.1,
        pinned: Iterable[int] = (),
        image: Image | None = None,
    ) -> Image:
        """Move mesh points by ``moves``; neighbours follow with a Gaussian fall-off of width
        ``sigma`` (IOD); ``pinned`` points and the image border stay. Piecewise affine over a
        Delaunay triangulation of the moved points."""
        pts = self.mesh[:468, :2]
        idx = np.array(list(moves))
        shift = np.array([moves[i] for i in idx], dtype=np.float64) * self.iod
        dist2 = ((pts[:, None, :] - pts[idx][None, :, :]) ** 2).sum(-1)
        weight = np.exp(-dist2 / (2.0 * (sigma * self.iod) ** 2))
        nearest = weight.argmax(axis=1)
        disp = shift[nearest] * weight[np.arange(len(pts)), nearest][:, None]
        disp[list(pinned)] = 0.0
        disp[idx] = shift
        return piecewise_affine(self.image if image is None else image, pts, pts + disp)

    def cover_mouth(self, *, skin: bool, image: Image | None = None) -> Image:
        """A black box, or a skin-coloured rounded shape with finger gaps (a hand), over the
        mouth and chin of ``image`` (default: the neutral face)."""
        import cv2

        out = (self.image if image is None else image).copy()
        mesh = self.mesh
        left, right = mesh[61, :2], mesh[291, :2]
        top, bottom = mesh[2, 1], mesh[17, 1] + 0.1 * self.iod
        cx = (left[0] + right[0]) / 2
        half = (right[0] - left[0]) / 2 + 0.15 * self.iod
        if not skin:
            cv2.rectangle(out, (int(cx - half), int(top)), (int(cx + half), int(bottom)),
                          (0, 0, 0), -1)
            return out
        x, y = int(mesh[50, 0]), int(mesh[50, 1])  # the cheek's colour
        colour = tuple(int(c) for c in np.median(out[y - 4:y + 4, x - 4:x + 4].reshape(-1, 3),
                                                 axis=0))
        centre = (int(cx), int((top + bottom) / 2))
        axes = (int(half * 1.1), int((bottom - top) / 2 * 1.1))
        cv2.ellipse(out, centre, axes, 0, 0, 360, colour, -1, cv2.LINE_AA)
        shade = tuple(max(0, c - 25) for c in colour)
        for k in (-1, 0, 1):
            row = centre[1] + k * axes[1] // 3
            cv2.line(out, (centre[0] - axes[0] + 6, row), (centre[0] + axes[0] - 6, row),
                     shade, 1, cv2.LINE_AA)
        return out

    def lift_corners(self, amount: float, *, sides: str = "LR") -> Image:
        """Lip corners up by ``amount`` IOD: ``"L"`` is the performer's left (mesh 291)."""
        corner = {"L": 291, "R": 61}
        return self.warp({corner[s]: (0.0, -amount) for s in sides})

    def raise_brows(self, amount: float) -> Image:
        """Both brows up by ``amount`` IOD; the eyelids stay."""
        brows = (336, 296, 334, 293, 300, 285, 295, 282, 283, 276,
                 107, 66, 105, 63, 70, 55, 65, 52, 53, 46)
        return self.warp({i: (0.0, -amount) for i in brows}, pinned=_EYE_RIMS)

    def close_lids(self, fraction: float) -> Image:
        """Upper lids moved ``fraction`` of the way down onto the lower lids."""
        moves: dict[int, tuple[float, float]] = {}
        for up, low in _LID_PAIRS.items():
            dx, dy = (self.mesh[low, :2] - self.mesh[up, :2]) * fraction / self.iod
            moves[up] = (float(dx), float(dy))
        return self.warp(moves, sigma=0.06, pinned=(*_LID_PAIRS.values(), 33, 133, 263, 362))


_LID_PAIRS = {246: 7, 161: 163, 160: 144, 159: 145, 158: 153, 157: 154, 173: 155,
              466: 249, 388: 390, 387: 373, 386: 374, 385: 380, 384: 381, 398: 382}
_EYE_RIMS = (*_LID_PAIRS, *_LID_PAIRS.values(), 33, 133, 263, 362)


def piecewise_affine(image: Image, src: npt.NDArray[np.float64],
                     dst: npt.NDArray[np.float64]) -> Image:
    """Warp ``image`` so that points ``src`` (n, 2) land on ``dst`` (n, 2); border fixed."""
    import cv2
    from scipy.spatial import Delaunay

    h, w = image.shape[:2]
    xs, ys = np.linspace(0, w - 1, 9), np.linspace(0, h - 1, 9)
    border = np.array([(x, y) for x in xs for y in (0, h - 1)]
                      + [(x, y) for y in ys[1:-1] for x in (0, w - 1)], dtype=np.float64)
    s, d = np.vstack([src, border]), np.vstack([dst, border])
    tri = Delaunay(d)
    yy, xx = np.mgrid[0:h, 0:w]
    q = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float64)
    simplex = tri.find_simplex(q)
    t = tri.transform[simplex]
    b = np.einsum("nij,nj->ni", t[:, :2], q - t[:, 2])
    bary = np.column_stack([b, 1.0 - b.sum(axis=1)])
    source = np.einsum("ni,nij->nj", bary, s[tri.simplices[simplex]])
    source[simplex < 0] = q[simplex < 0]
    map_x = source[:, 0].reshape(h, w).astype(np.float32)
    map_y = source[:, 1].reshape(h, w).astype(np.float32)
    out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.ascontiguousarray(out)
