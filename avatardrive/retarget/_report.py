"""What a rig's inverse cannot recover: channels with no path, and channels only seen together.

The analysis is structural, on the drive matrix with nonlinear terms linearized (the matrix
the inverse solves with): a channel is *missing* when no shape depends on it; channels are
*grouped* when some change of them leaves every drive unchanged (they share the null space of the
matrix). A group that is exactly the two sides of one AU is reported as *merged sides*: the
inverse returns equal sides (``browInnerUp`` -> AU1_L = AU1_R). Saturation and clipping are not
part of the analysis: a shape driven past 1 also hides what drove it there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatardrive.facs import CHANNELS, action_units
from avatardrive.retarget._inverse import InverseModel

__all__ = ["InverseReport", "analyse"]

#: Null-space entries below this count as zero.
_NULL_TOLERANCE = 1e-8


@dataclass(frozen=True)
class InverseReport:
    """Which AU channels a rig cannot express, for its inverse solve.

    Attributes
    ----------
    rig : str
        The rig's name.
    missing : tuple of str
        Channels no shape depends on: the inverse returns 0 for them (AU23 via ARKit).
    merged_sides : tuple of str
        AUs (``"AU1"``) whose two sides only reach the rig together: they come back equal.
    groups : tuple of tuple of str
        Other sets of channels the rig only sees in combination (AU43/AU45/AU46 all close
        ``eyeBlink``); the inverse splits their share by minimum norm.
    expressible : tuple of str
        Channels the inverse recovers on their own (both channels of a midline unit such as AU26,
        which are equal by design, count as expressible).
    """

    rig: str
    missing: tuple[str, ...]
    merged_sides: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    expressible: tuple[str, ...]

    @property
    def lossy(self) -> bool:
        """Whether any channel cannot be recovered on its own."""
        return bool(self.missing or self.merged_sides or self.groups)

    def __str__(self) -> str:
        lines = [
            f"inverse of {self.rig}: {len(self.expressible)} of {len(CHANNELS)} AU channels "
            f"recovered on their own"
        ]
        if self.missing:
            lines.append(
                f"  no path, come back 0 ({len(self.missing)} channels): {_compact(self.missing)}"
            )
        if self.merged_sides:
            lines.append(
                f"  sides merged, come back equal ({len(self.merged_sides)} AUs): "
                f"{', '.join(self.merged_sides)}"
            )
        for group in self.groups:
            together = _compact(group, joiner=" + ")
            lines.append(f"  only seen together (split by minimum norm): {together}")
        return "\n".join(lines)


def _compact(channels: tuple[str, ...], *, joiner: str = ", ") -> str:
    """``AU26_L, AU26_R`` -> ``AU26``; single sides stay as they are."""
    names = list(channels)
    parts: list[str] = []
    for name in names:
        unit, side = name.rsplit("_", 1)
        other = f"{unit}_{'R' if side == 'L' else 'L'}"
        if side == "L" and other in names:
            parts.append(unit)
        elif side == "R" and other in names:
            continue
        else:
            parts.append(name)
    return joiner.join(parts)


def _null_projector(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    n = matrix.shape[1]
    if n == 0:
        return np.zeros((0, 0))
    # vt must span all n columns; the left vectors are never used, so they are kept thin: a rig
    # of many shapes (rows) costs memory linear in its shape count, not quadratic
    _, singular, vt = np.linalg.svd(matrix, full_matrices=matrix.shape[0] < n)
    top = float(singular[0]) if singular.size else 0.0
    rank = int(np.sum(singular > top * max(matrix.shape) * 1e-10))
    null = vt[rank:].T
    return np.asarray(null @ null.T, dtype=np.float64)


def _components(linked: npt.NDArray[np.bool_]) -> list[list[int]]:
    seen: set[int] = set()
    found: list[list[int]] = []
    for start in range(linked.shape[0]):
        if start in seen or not linked[start, start]:
            continue
        stack, members = [start], []
        seen.add(start)
        while stack:
            v = stack.pop()
            members.append(v)
            for w in np.flatnonzero(linked[v]):
                if int(w) not in seen:
                    seen.add(int(w))
                    stack.append(int(w))
        found.append(sorted(members))
    return found


def analyse(name: str, model: InverseModel) -> InverseReport:
    """Build the :class:`InverseReport` of a rig from its inverse model."""
    projector = _null_projector(model.matrix)
    linked = np.abs(projector) > _NULL_TOLERANCE
    groups = _components(linked)
    ambiguous = {v for group in groups for v in group}
    reached = {c for channels in model.variables for c in channels}
    merged: list[str] = []
    together: list[tuple[str, ...]] = []
    for group in groups:
        channels = sorted(c for v in group for c in model.variables[v])
        pair = len(channels) == 2 and channels[0] // 2 == channels[1] // 2
        if pair and not action_units()[channels[0] // 2].midline:
            merged.append(action_units()[channels[0] // 2].code)
        else:
            together.append(tuple(CHANNELS[c] for c in channels))
    expressible = sorted(
        c for v, channels in enumerate(model.variables) if v not in ambiguous for c in channels
    )
    return InverseReport(
        rig=name,
        missing=tuple(CHANNELS[c] for c in range(len(CHANNELS)) if c not in reached),
        merged_sides=tuple(merged),
        groups=tuple(together),
        expressible=tuple(CHANNELS[c] for c in expressible),
    )
