"""The public face of the views: :func:`plot`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from avatardrive.errors import AvatarDriveError
from avatardrive.views._plot_draw import DEFAULT_SIZE

if TYPE_CHECKING:
    from avatardrive.curves import Curves
    from avatardrive.retarget import Rig
    from avatardrive.timeline import Timeline
    from avatardrive.views._plot_model import Figure

__all__ = ["plot"]


def _figure_of(
    source: Timeline | Curves | str | os.PathLike[str],
    *,
    rig: Rig | None,
    start: float | None,
    end: float | None,
    top_shapes: int,
) -> Figure:
    from avatardrive.curves import Curves
    from avatardrive.pipeline import load_input
    from avatardrive.timeline import Timeline
    from avatardrive.views._plot_model import authoring_figure, curves_figure

    if isinstance(source, Timeline):
        return authoring_figure(source, rig=rig, start=start, end=end, top_shapes=top_shapes)
    if isinstance(source, Curves):
        return curves_figure(source, rig=rig, start=start, end=end, top_shapes=top_shapes)
    loaded = load_input(source)
    if loaded.timeline is not None:
        return authoring_figure(loaded.timeline, rig=rig, start=start, end=end,
                                top_shapes=top_shapes)  # fmt: skip
    name = Path(source).name
    return curves_figure(loaded.curves, rig=rig, start=start, end=end, top_shapes=top_shapes,
                         title=f"{name} ({loaded.kind}) — AU curves by face region")  # fmt: skip


def plot(
    source: Timeline | Curves | str | os.PathLike[str],
    *,
    rig: Rig | str | None = None,
    path: str | os.PathLike[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    top_shapes: int = 8,
) -> Figure:
    """Plot a timeline or AU curves: every AU curve by face region, a lane per AU coloured by
    the event driving it, the events with their keyframes, the mood track, and a rig's weights.

    Parameters
    ----------
    source : Timeline, Curves, or path
        A timeline (rendered at its own fps), AU curves shaped (frames, N_CHANNELS), or a file:
        any input of :func:`avatardrive.pipeline.load_input` (a timeline, a curve file, an
        OpenFace or Live Link Face take).
    rig : Rig or str, optional
        Add a panel of this rig's most active shapes (a built-in rig name, a rig file or a Rig).
    path : str or os.PathLike, optional
        Write a PNG there (off screen, no display needed). Without it a window opens and this
        call returns when it is closed.
    start, end : float, optional
        The time window shown, seconds.
    size : (int, int)
        Image or window size, pixels.
    top_shapes : int
        How many rig shapes to show at most.

    Returns
    -------
    Figure
        What was drawn (plain data: the curves, lanes and spans).

    Raises
    ------
    AvatarDriveError
        A bad source, rig or output path, a missing ``gui`` extra, or no display for a window.
    """
    from avatardrive.retarget import load_rig
    from avatardrive.views._plot_draw import png_target, save_png
    from avatardrive.views._plot_qt import application, display_problem, load_qt
    from avatardrive.views._plot_window import show_figure

    target = None if path is None else png_target(os.fspath(path))
    loaded_rig = load_rig(rig) if isinstance(rig, (str, os.PathLike)) else rig
    qt = load_qt()
    if target is None and (problem := display_problem()) is not None:
        raise AvatarDriveError(f"cannot open a plot window: {problem}; pass path='plot.png'")
    figure = _figure_of(source, rig=loaded_rig, start=start, end=end, top_shapes=top_shapes)
    if target is None:
        show_figure(qt, figure, size=size)
    else:
        application(qt, offscreen=True)
        save_png(qt, figure, target, size=size)
    return figure
