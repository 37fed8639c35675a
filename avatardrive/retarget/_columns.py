"""Matching incoming column names (any spelling a stream uses) to a rig's shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from avatardrive._shapes import shape_key
from avatardrive.errors import ParameterError

__all__ = ["ColumnMatch", "match_columns"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def shape_names(self) -> tuple[str, ...]: ...

    @property
    def name_lookup(self) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class ColumnMatch:
    """How incoming columns map onto a rig's shapes.

    Attributes
    ----------
    names : tuple of str
        The incoming column names, as given.
    shapes : tuple of int
        For each incoming column, the index of its shape in the rig, or -1 when it names none.
    unknown : tuple of str
        Incoming names that match no shape (MediaPipe's ``_neutral``, Live Link's head angles).
    missing : tuple of str
        Canonical names of the rig's shapes that no column gives.
    """

    names: tuple[str, ...]
    shapes: tuple[int, ...]
    unknown: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def columns(self) -> npt.NDArray[np.intp]:
        """Indices of the incoming columns that matched, shape (matched,)."""
        return np.array([j for j, s in enumerate(self.shapes) if s >= 0], dtype=np.intp)

    @property
    def targets(self) -> npt.NDArray[np.intp]:
        """Shape index of each matched column, shape (matched,), aligned with :attr:`columns`."""
        return np.array([s for s in self.shapes if s >= 0], dtype=np.intp)


def match_columns(rig: _Named, names: Sequence[str]) -> ColumnMatch:
    """Match incoming column names to a rig's shapes, by canonical name or alias.

    Matching ignores case, ``_ . -`` separators and the side spelling (``eyeBlink_L`` =
    ``EyeBlinkLeft``), and keeps only the last part of an address path (``.../v2/JawOpen``).

    Parameters
    ----------
    rig : Rig
    names : sequence of str
        Incoming column names.

    Returns
    -------
    ColumnMatch

    Raises
    ------
    ParameterError
        ``names`` is not a sequence of strings, or two columns name the same shape.
    """
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParameterError(f"names is {names!r}; expected a sequence of column names")
    shapes: list[int] = []
    taken: dict[int, str] = {}
    for j, name in enumerate(names):
        if not isinstance(name, str):
            raise ParameterError(f"names[{j}] is {name!r}; expected a string")
        index = rig.name_lookup.get(shape_key(name), -1)
        if index >= 0 and index in taken:
            raise ParameterError(
                f"columns {taken[index]!r} and {name!r} both name shape "
                f"{rig.shape_names[index]!r} of rig {rig.name!r}; expected each shape once"
            )
        if index >= 0:
            taken[index] = name
        shapes.append(index)
    return ColumnMatch(
        names=tuple(names),
        shapes=tuple(shapes),
        unknown=tuple(name for name, s in zip(names, shapes, strict=True) if s < 0),
        missing=tuple(n for i, n in enumerate(rig.shape_names) if i not in taken),
    )
