"""Default timing and coupling of the ``spontaneous`` and ``posed`` styles and of micro-expressions.

Every number here is a default an event can override; sources in FACS_DATA.md:

- onset: one velocity peak; spontaneous onset duration roughly constant, growing a little with
  amplitude (Schmidt, Cohn & Tian 2003; Cohn & Schmidt 2004), so peak speed grows with amplitude;
- posed: faster onset and offset speeds, larger amplitude, tighter synchrony, no apex fluctuation
  (Schmidt et al. 2006, 2009; Guo et al. 2018; Hess & Kleck 1990);
- offset >= onset, 1-2x, more variable; apex varies most (Schmidt, Cohn & Tian 2003);
- macro total 0.5-4 s (Ekman); micro total < 0.5 s with onset < 0.26 s at low amplitude
  (Yan et al. 2013; EMG at 7-9 % of maximum contraction);
- loosely coupled AUs with small per-AU lags in spontaneous faces; side lag 0-50 ms
  (FACS_DATA section 2 model).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MICRO", "STYLE_DEFAULTS", "StyleDefaults"]


@dataclass(frozen=True)
class StyleDefaults:
    """Default envelope parameters of one style.

    Durations are drawn per event, seeded: onset = ``(onset_base + onset_per_amplitude * A) *
    lognormal(onset_sigma)``, apex = ``apex * lognormal(apex_sigma)``, offset = ``onset *
    uniform(offset_ratio)``; the total is kept within ``total_range``.
    """

    intensity: float
    onset_base: float
    onset_per_amplitude: float
    onset_sigma: float
    apex: float
    apex_sigma: float
    offset_ratio: tuple[float, float]
    total_range: tuple[float, float]
    coupling: float  # largest random per-AU onset lag, seconds
    lag_scale: float  # fraction of a prototype's lag range used (posed = tight synchrony)
    side_lag: float  # largest random left/right lag, seconds
    apex_depth: float  # largest apex sag, relative
    keep_core: float  # chance a non-key core AU stays when sampling a sub-configuration
    take_optional: float  # chance an optional AU joins


STYLE_DEFAULTS: dict[str, StyleDefaults] = {
    "spontaneous": StyleDefaults(
        intensity=0.7,
        onset_base=0.35,
        onset_per_amplitude=0.25,
        onset_sigma=0.08,
        apex=1.5,
        apex_sigma=0.35,
        offset_ratio=(1.2, 2.0),
        total_range=(0.5, 3.9),
        coupling=0.12,
        lag_scale=1.0,
        side_lag=0.05,
        apex_depth=0.05,
        keep_core=0.8,
        take_optional=0.35,
    ),
    "posed": StyleDefaults(
        intensity=0.9,
        onset_base=0.25,
        onset_per_amplitude=0.05,
        onset_sigma=0.04,
        apex=1.0,
        apex_sigma=0.1,
        offset_ratio=(1.0, 1.5),
        total_range=(0.5, 3.9),
        coupling=0.02,
        lag_scale=0.25,
        side_lag=0.015,
        apex_depth=0.0,
        keep_core=1.0,
        take_optional=0.0,
    ),
}

#: Micro-expressions: total under 0.5 s (0.44 s plus at most 0.03 s of lags here), onset under
#: 0.26 s, low amplitude.
MICRO = StyleDefaults(
    intensity=0.3,
    onset_base=0.09,
    onset_per_amplitude=0.1,
    onset_sigma=0.15,
    apex=0.06,
    apex_sigma=0.4,
    offset_ratio=(1.0, 1.5),
    total_range=(0.2, 0.44),
    coupling=0.02,
    lag_scale=0.25,
    side_lag=0.01,
    apex_depth=0.0,
    keep_core=1.0,
    take_optional=0.0,
)
