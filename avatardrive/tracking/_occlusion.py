"""Is the mouth covered? Its appearance against the calibrated neutral.

MediaPipe always returns a whole mesh: over a hand, a microphone or a box it invents a mouth, and
the estimators read that invention as an expression (a black box read AU15 1.0). This stage looks
at the pixels where the lips should be and compares three measures with the neutral face's:

- **texture**: the spread of the lips' brightness (lip lines, the lip/skin edge), relative to
  the brightness of the upper face (cheeks and nose bridge). A hand, a box or a microphone is
  smoother than lips: the ratio to the neutral's drops (0.12 for a skin-coloured shape);
- **colour**: lips are redder than the skin. The red chromaticity of the lips minus that of the
  upper face, relative to the neutral's; a skin-coloured cover brings it to about 0;
- **darkness**: the lips' brightness relative to the upper face, relative to the neutral's; a
  dark cover (a box, a black microphone) brings it near 0.

Each is a ratio to the neutral's, so global light changes cancel. Each maps to a degree of
cover in [0, 1] by a linear ramp; the largest is taken, then smoothed in time (fast attack, slow
release), and the mouth's AU channels are scaled by ``1 - covered``: they relax toward neutral
while the rest of the face keeps tracking.

What it misses: a cover coloured and textured like lips; a cover over less than about half the
mouth; a cover that also hides the cheeks and nose bridge (the reference), though then MediaPipe
usually loses the face. Eyes and brows are not checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive.errors import ParameterError
from avatardrive.facs import N_CHANNELS, channels_of

__all__ = ["MOUTH_AUS", "MouthOcclusion", "OcclusionParams", "mouth_appearance"]

FloatArray = npt.NDArray[np.float64]

#: AUs of the lower face that relax while the mouth is covered.
MOUTH_AUS = (10, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28)

# Lip body: midway between the outer and the inner lip contour (upper lip, then lower lip).
_UPPER_OUTER = (185, 40, 39, 37, 0, 267, 269, 270, 409)
_UPPER_INNER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
_LOWER_OUTER = (146, 91, 181, 84, 17, 314, 405, 321, 375)
_LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
# Upper face, rarely covered with the mouth: under the eyes, the nose bridge, the mid-cheeks.
_REFERENCE = (117, 346, 118, 347, 6, 197, 151, 50, 280)


@dataclass(frozen=True)
class OcclusionParams:
    """Ramps from measure (relative to the neutral) to degree of cover, and time constants.

    Each ramp is ``(start, full)``: at or above ``start`` nothing is covered, at or below
    ``full`` all of it. Defaults from benchmarks/bench_robustness.py: on the neutral face under
    light, noise, JPEG, rotation and 3x downscale the ratios stay above 0.8 (texture), 0.48
    (colour) and 0.95 (darkness); a black box gives 0, 0 and 0; a skin-coloured shape 0.12,
    -0.03 and 1.3.
    """

    texture: tuple[float, float] = (0.45, 0.25)
    colour: tuple[float, float] = (0.25, 0.0)
    darkness: tuple[float, float] = (0.5, 0.25)
    attack: float = 0.05  # seconds: cover shows within a few frames
    release: float = 0.3  # seconds: the mouth comes back smoothly

    def __post_init__(self) -> None:
        for name in ("texture", "colour", "darkness"):
            start, full = getattr(self, name)
            if not start > full:
                raise ParameterError(f"OcclusionParams.{name} is {(start, full)}; expected "
                                     f"(start, full) with start > full")
        for name in ("attack", "release"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"OcclusionParams.{name} is {value!r}; expected >= 0")


_POINTS = np.array(_UPPER_OUTER + _LOWER_OUTER + _UPPER_INNER + _LOWER_INNER + _REFERENCE,
                   dtype=np.intp)
_N_LIP = len(_UPPER_OUTER) + len(_LOWER_OUTER)
# columns: brightness, then red chromaticity's numerator (R) and denominator (R + G + B)
_MIX = np.array([[0.299, 1.0, 1.0], [0.587, 0.0, 1.0], [0.114, 0.0, 1.0]])


def mouth_appearance(image: npt.NDArray[np.uint8], landmarks: npt.ArrayLike) -> FloatArray:
    """``(texture, colour, brightness)`` of the lips against the upper face.

    Parameters
    ----------
    image : ndarray of uint8, shape (height, width, 3)
        RGB.
    landmarks : array_like, shape (478, 3)
        The face's mesh in the image's pixels.

    Returns
    -------
    ndarray of float64, shape (3,)
        Lip brightness spread / reference brightness; lip red chromaticity minus the
        reference's; lip brightness / reference brightness.
    """
    mesh = np.asarray(landmarks)
    xy = mesh[_POINTS, :2]
    n = _N_LIP
    points = np.concatenate([(xy[:n] + xy[n:2 * n]) * 0.5, xy[2 * n:]])  # lip body, reference
    (x0, y0), (x1, y1) = mesh[33, :2], mesh[263, :2]
    radius = max(1, round(0.02 * math.hypot(float(x1 - x0), float(y1 - y0))))
    height, width = image.shape[:2]
    grid = np.rint(points).astype(np.intp)[:, :, None] + np.arange(-radius, radius + 1)
    np.clip(grid, 0, np.array([[width - 1], [height - 1]]), out=grid)
    rgb = image[grid[:, 1, :, None], grid[:, 0, None, :]].mean(axis=(1, 2))  # (points, 3)
    luma, red, total = (rgb @ _MIX).T
    chroma = red / (total + 1.0)
    lip_luma = luma[:n]
    scale = float(luma[n:].mean()) + 1.0
    return np.array([float(lip_luma.std()) / scale,
                     float(chroma[:n].mean() - chroma[n:].mean()),
                     float(lip_luma.mean()) / scale])


def _ramp(value: float, start: float, full: float) -> float:
    return min(max((start - value) / (start - full), 0.0), 1.0)


class MouthOcclusion:
    """Degree to which the mouth is covered, smoothed in time, against a neutral reference.

    ``add_reference`` collects neutral appearances (while the tracker calibrates);
    ``set_reference`` fixes their median; ``update`` returns the smoothed degree of cover and
    ``apply`` relaxes the mouth's channels of an AU frame by it.
    """

    def __init__(self, params: OcclusionParams | None = None) -> None:
        self.params = params or OcclusionParams()
        self.reference: FloatArray | None = None
        self._samples: list[FloatArray] = []
        self._covered = 0.0
        self._time: float | None = None
        mask = np.zeros(N_CHANNELS, dtype=bool)
        for au in MOUTH_AUS:
            mask[list(channels_of(au))] = True
        self._mouth = mask

    @property
    def covered(self) -> float:
        """The current (smoothed) degree of cover, 0-1."""
        return self._covered

    def add_reference(self, appearance: FloatArray) -> None:
        """Collect one neutral appearance ``(3,)``."""
        self._samples.append(np.asarray(appearance, dtype=np.float64))

    def set_reference(self) -> bool:
        """Fix the reference as the median of the collected samples; False if there are none."""
        if not self._samples:
            return False
        self.reference = np.median(np.stack(self._samples), axis=0)
        self._samples = []
        return True

    @property
    def samples(self) -> int:
        """Neutral appearances collected so far (not yet a reference)."""
        return len(self._samples)

    def degree(self, appearance: FloatArray) -> float:
        """Unsmoothed degree of cover of one appearance ``(3,)``, 0-1 (0 without reference)."""
        if self.reference is None:
            return 0.0
        p = self.params
        texture, colour, brightness = (float(v) for v in appearance)
        ref_texture, ref_colour, ref_brightness = (float(v) for v in self.reference)
        ratios = (
            (texture / max(ref_texture, 1e-3), p.texture),
            (colour / max(ref_colour, 0.01), p.colour),
            (brightness / max(ref_brightness, 1e-3), p.darkness),
        )
        degree = max(_ramp(value, *ramp) for value, ramp in ratios)
        return degree if math.isfinite(degree) else 0.0

    def update(self, appearance: FloatArray | None, time: float) -> float:
        """Smoothed degree of cover after one frame (``None``: no face, decays as released)."""
        target = 0.0 if appearance is None else self.degree(appearance)
        dt = 0.0 if self._time is None else max(time - self._time, 0.0)
        self._time = time
        tau = self.params.attack if target > self._covered else self.params.release
        step = 1.0 if tau <= 0 else 1.0 - math.exp(-dt / tau)
        self._covered += (target - self._covered) * step
        return self._covered

    def apply(self, au: FloatArray) -> None:
        """Relax the mouth's channels of ``au`` ``(N_CHANNELS,)`` by the cover (in place)."""
        if self._covered > 0.0:
            au[self._mouth] *= 1.0 - self._covered

    def reset(self) -> None:
        """Forget the cover (the face was lost); the reference stays."""
        self._covered = 0.0
        self._time = None
