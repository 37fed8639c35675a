"""Draw a :class:`~avatardrive.views._plot_model.Figure` with pyqtgraph, and save it as a PNG.

Layout, on a white background (columns: a rotated unit label, the plots, their legends)::

    title / subtitle
    [events]   labelled bars, staggered into lanes so that names do not overlap; keys as diamonds
    [AU lanes] a heat strip: one lane per active AU, coloured by the event driving it   | key
    [mood]     valence and arousal of the mood track, keyframes as diamonds (if any;
               images under 800 px high show the mood only in the lanes)               | legend
    [brow]     AU curves, left side solid, right side dashed, event spans shaded  | legend
    [eyes] ...                                                                    | legend
    [rig]      weights of the rig's most active shapes (with --rig)               | legend
               time (s)

All plots share the time axis. Qt objects are untyped (``Any``); see ``_plot_qt``.
"""

from __future__ import annotations

import contextlib
import html
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.errors import AvatarDriveError, ParameterError
from avatardrive.views._plot_model import (
    MOOD_OWNER,
    UNOWNED,
    AuLanes,
    Figure,
    LegendEntry,
    MoodLane,
    Panel,
    Span,
    Trace,
    stagger,
)
from avatardrive.views._plot_qt import Qt

__all__ = ["DEFAULT_SIZE", "figure_widget", "grab_image", "lane_image", "png_target", "save_png"]

DEFAULT_SIZE = (1600, 1000)


def png_target(path: str) -> Path:
    """Check an output path before any work: a ``.png`` file in an existing folder.

    Raises
    ------
    ParameterError
        Another suffix, or a folder that does not exist.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise ParameterError(
            f"output {path!r} has suffix {target.suffix or '(none)'!r}; expected .png"
        )
    if not target.parent.resolve().is_dir():
        raise ParameterError(
            f"output folder {str(target.parent)!r} does not exist; expected an existing folder"
        )
    return target

#: Curve colours (matplotlib's tab10): distinct on white, one per AU of a region.
TRACE_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
#: Event colours (Tableau 10), drawn pale: one per event, cycling.
EVENT_COLORS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
_MOOD_COLORS = {"valence": "#7f7f00", "arousal": "#e66101"}  # olive: no event colour
_UNOWNED_COLOR = "#555555"  # heat-strip cells no event drives (blinks, curve files)
_LANE_PX = 13  # px per AU lane of the heat strip
_LANES_SHARE = 0.22  # of the image height at most, for the heat strip (a third below _ROOMY)
_ROOMY = 800
_MAX_COLUMNS = 1600  # heat-strip cells per lane at most (the strongest frame of each bin)
_INK = "#222222"
_MUTED = "#555555"
_BACKGROUND = "w"
_AXIS_WIDTH = 64  # px: the same for every plot, so that their time axes line up
_UNIT_WIDTH = 30  # px: the rotated unit labels
_LEGEND_WIDTH = 290  # px
_LANE_HEIGHT = 24  # px per lane of event labels
_MARGIN = 12  # px around the layout
_LABEL_PAD = 4  # px between an event's start and its label
_SPAN_ALPHA, _BAR_ALPHA = 34, 110
_DARKER = 0.68  # right-side curves: the left colour, darker
_SAMPLE_STYLE = "font-size:12pt; font-weight:bold; "
_AXIS_TITLE = {"font-size": "11pt", "font-weight": "bold"}


def _font(qt: Qt, points: float, *, bold: bool = False) -> Any:
    font = qt.gui.QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _rgb(hex_rgb: str, *, darker: float = 1.0) -> tuple[int, int, int]:
    value = int(hex_rgb.lstrip("#"), 16)
    channels = (value >> 16, (value >> 8) & 0xFF, value & 0xFF)
    return (
        round(channels[0] * darker),
        round(channels[1] * darker),
        round(channels[2] * darker),
    )


def _trace_rgb(color: int, side: str | None) -> tuple[int, int, int]:
    darker = _DARKER if side == "R" else 1.0
    return _rgb(TRACE_COLORS[color % len(TRACE_COLORS)], darker=darker)


def _trace_pen(qt: Qt, trace: Trace) -> Any:
    pen = qt.pg.mkPen(_trace_rgb(trace.color, trace.side), width=2.0)
    if trace.side == "R":
        pen.setStyle(qt.core.Qt.PenStyle.CustomDashLine)
        pen.setDashPattern([3.0, 2.0])
    return pen


def _event_rgba(span: Span, alpha: int) -> tuple[int, int, int, int]:
    return (*_rgb(EVENT_COLORS[span.color % len(EVENT_COLORS)]), alpha)


def _style_axis(qt: Qt, axis: Any, *, values: bool = True) -> None:
    axis.setPen(qt.pg.mkPen("#888888"))
    axis.setTextPen(qt.pg.mkPen(_INK))
    axis.setStyle(tickFont=_font(qt, 10.0), showValues=values, tickTextOffset=4)


def _new_plot(qt: Qt, window: tuple[float, float], *, time_values: bool) -> Any:
    plot = qt.pg.PlotItem()
    plot.setMenuEnabled(False)
    plot.hideButtons()
    for name in ("left", "bottom"):
        _style_axis(qt, plot.getAxis(name), values=name == "left" or time_values)
    plot.getAxis("left").setWidth(_AXIS_WIDTH)
    if not time_values:
        plot.getAxis("bottom").setHeight(6)
    plot.showGrid(x=True, y=True, alpha=0.18)
    plot.setXRange(*window, padding=0.0)
    plot.setLimits(xMin=window[0], xMax=window[1])
    plot.setMouseEnabled(x=True, y=False)
    return plot


def _shade_spans(qt: Qt, plot: Any, spans: Sequence[Span], *, height: float) -> None:
    if not spans:
        return
    brushes = [qt.pg.mkBrush(_event_rgba(span, _SPAN_ALPHA)) for span in spans]
    bars = qt.pg.BarGraphItem(
        x0=[s.start for s in spans],
        x1=[s.end for s in spans],
        y0=0.0,
        height=height,
        brushes=brushes,
        pen=qt.pg.mkPen(None),
    )
    bars.setZValue(-10)
    plot.addItem(bars)


def _sample_html(entry: LegendEntry, *, compact: bool = False) -> str:
    """Line samples in two columns: left side (solid), right side (dashed); no side is solid."""
    glyphs = []
    for side, line in (("L", "━━"), ("R", "╸╸╸")):
        shown = side in entry.sides or (side == "L" and None in entry.sides)
        red, green, blue = _trace_rgb(entry.color, side)
        color = f"#{red:02x}{green:02x}{blue:02x}" if shown else "transparent"
        style = _SAMPLE_STYLE.replace("12pt", "9pt") if compact else _SAMPLE_STYLE
        glyphs.append(f'<span style="{style}color:{color}">{line}</span>')
    return "&thinsp;".join(glyphs)


def _legend(qt: Qt, entries: Sequence[LegendEntry], *, compact: bool = False) -> Any:
    rows = [f"{_sample_html(entry, compact=compact)}&nbsp;&nbsp;{html.escape(entry.label)}"
            for entry in entries]  # fmt: skip
    legend = qt.pg.LabelItem("<br>".join(rows), size="8pt" if compact else "10pt", color=_INK,
                             justify="left")  # fmt: skip
    legend.setFixedWidth(_LEGEND_WIDTH)
    return legend


def _panel_plot(qt: Qt, panel: Panel, figure: Figure, *, last: bool) -> Any:
    plot = _new_plot(qt, figure.window, time_values=last)
    top = panel.y_max * 1.08
    plot.setYRange(-0.08 * panel.y_max, top, padding=0.0)
    ticks = [(v * panel.y_max, f"{v * panel.y_max:g}") for v in (0.0, 0.5, 1.0)]
    plot.getAxis("left").setTicks([ticks])
    plot.setLabel("left", panel.title, color=_INK, **_AXIS_TITLE)
    _shade_spans(qt, plot, figure.spans, height=top)
    for trace in panel.traces:
        plot.plot(figure.times, trace.drawn(), pen=_trace_pen(qt, trace), antialias=True)
    if last:
        plot.setLabel("bottom", "time (s)", color=_INK, **{"font-size": "11pt"})
    return plot


def _label_extents(
    qt: Qt, spans: Sequence[Span], *, seconds_per_px: float
) -> list[tuple[float, float]]:
    metrics = qt.gui.QFontMetricsF(_font(qt, 10.0))
    extents = []
    for span in spans:
        label_end = span.start + (2 * _LABEL_PAD + metrics.horizontalAdvance(span.name)) * (
            seconds_per_px
        )
        extents.append((span.start, max(span.end, label_end)))
    return extents


def _events_plot(qt: Qt, figure: Figure, *, plot_px: float) -> tuple[Any, int]:
    plot = _new_plot(qt, figure.window, time_values=False)
    plot.getAxis("left").setTicks([[]])
    plot.setLabel("left", "events", color=_INK, **_AXIS_TITLE)
    plot.showGrid(x=True, y=False, alpha=0.18)
    seconds_per_px = (figure.window[1] - figure.window[0]) / max(plot_px, 1.0)
    lanes = stagger(_label_extents(qt, figure.spans, seconds_per_px=seconds_per_px))
    n_lanes = max(lanes, default=0) + 1
    plot.invertY(True)
    plot.setYRange(0.0, n_lanes, padding=0.0)
    for span, lane in zip(figure.spans, lanes, strict=True):
        bar = qt.pg.BarGraphItem(
            x0=[span.start],
            x1=[span.end],
            y0=lane + 0.14,
            height=0.72,
            brush=qt.pg.mkBrush(_event_rgba(span, _BAR_ALPHA)),
            pen=qt.pg.mkPen(_event_rgba(span, 255), width=1.0),
        )
        plot.addItem(bar)
        text = qt.pg.TextItem(span.name, color=_INK, anchor=(0.0, 0.5))
        text.setFont(_font(qt, 10.0))
        text.setPos(span.start + _LABEL_PAD * seconds_per_px, lane + 0.5)
        plot.addItem(text)
        if span.keys:
            _diamonds(qt, plot, list(span.keys), [lane + 0.5] * len(span.keys))
    return plot, n_lanes


def _diamonds(qt: Qt, plot: Any, xs: Sequence[float], ys: Sequence[float]) -> None:
    marks = qt.pg.ScatterPlotItem(
        x=list(xs), y=list(ys), symbol="d", size=10, pen=qt.pg.mkPen(_INK, width=1.0),
        brush=qt.pg.mkBrush("#ffffff"),
    )  # fmt: skip
    marks.setZValue(10)
    plot.addItem(marks)


def _owner_rgb(owner: int) -> tuple[int, int, int]:
    if owner == MOOD_OWNER:
        return _rgb(_MOOD_COLORS["valence"])
    if owner == UNOWNED:
        return _rgb(_UNOWNED_COLOR)
    return _rgb(EVENT_COLORS[owner % len(EVENT_COLORS)])


def lane_image(lanes: AuLanes) -> npt.NDArray[np.uint8]:
    """RGBA pixels of a heat strip, shape (lanes, cells, 4), uint8: white where an AU rests,
    its owner's colour as it rises (strength ** 0.6, so weak actions still show)."""
    owners = np.unique(lanes.owners)
    palette = np.zeros((owners.size, 3))
    for i, owner in enumerate(owners.tolist()):
        palette[i] = _owner_rgb(int(owner))
    colors = palette[np.searchsorted(owners, lanes.owners)]
    strength = np.clip(lanes.values, 0.0, 1.0)[..., None] ** 0.6
    rgb = 255.0 - (255.0 - colors) * strength
    alpha = np.full((*lanes.values.shape, 1), 255.0)
    image: npt.NDArray[np.uint8] = np.concatenate([rgb, alpha], axis=-1).round().astype(np.uint8)
    return image


def _lanes_plot(qt: Qt, figure: Figure, lanes: AuLanes, *, lane_px: float) -> Any:
    plot = _new_plot(qt, figure.window, time_values=False)
    plot.showGrid(x=True, y=False, alpha=0.18)
    plot.invertY(True)
    count = len(lanes.labels)
    plot.setYRange(0.0, count, padding=0.0)
    labels = [(i + 0.5, label) for i, label in enumerate(lanes.labels)] if lane_px >= 8 else []
    plot.getAxis("left").setTicks([labels])  # too thin lanes go unlabelled (thumbnails)
    plot.getAxis("left").setStyle(tickFont=_font(qt, 8.0 if lane_px >= 11 else 6.5))
    binned = lanes.binned(_MAX_COLUMNS)
    image = qt.pg.ImageItem(lane_image(binned), axisOrder="row-major")
    times = figure.times
    step = (times[-1] - times[0]) / max(1, times.size - 1) if times.size > 1 else 1.0
    width = (times[-1] - times[0] + step) if times.size else 1.0
    image.setRect(qt.core.QRectF(float(times[0]) - step / 2 if times.size else 0.0, 0.0,
                                 float(width), float(count)))  # fmt: skip
    image.setZValue(-20)
    plot.addItem(image)
    return plot


def _lanes_legend(qt: Qt, figure: Figure, *, roomy: bool) -> Any:
    if not roomy:  # a thumbnail: one line
        legend = qt.pg.LabelItem("lane colour = the event driving the AU", size="9pt",
                                 color=_INK, justify="left")  # fmt: skip
        legend.setFixedWidth(_LEGEND_WIDTH)
        return legend
    mood = (f'<span style="color:{_MOOD_COLORS["valence"]}">■</span> the mood, '
            if figure.mood is not None else "")  # fmt: skip
    text = (
        "one lane per active AU (its stronger side),<br>coloured by the event driving it<br>"
        f"(as its bar above); {mood}<br>"
        f'<span style="color:{_UNOWNED_COLOR}">■</span> blinks or no event; deeper = stronger'
    )
    legend = qt.pg.LabelItem(text, size="9pt", color=_INK, justify="left")
    legend.setFixedWidth(_LEGEND_WIDTH)
    return legend


def _mood_plot(qt: Qt, figure: Figure, mood: MoodLane, *, last: bool) -> Any:
    plot = _new_plot(qt, figure.window, time_values=last)
    plot.setYRange(-1.1, 1.1, padding=0.0)
    plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (-1.0, 0.0, 1.0)]])
    plot.setLabel("left", "mood", color=_INK, **_AXIS_TITLE)
    for name, values in (("valence", mood.valence), ("arousal", mood.arousal)):
        pen = qt.pg.mkPen(_MOOD_COLORS[name], width=2.0)
        if name == "arousal":
            pen.setStyle(qt.core.Qt.PenStyle.DashLine)
        plot.plot(figure.times, values, pen=pen, antialias=True)
    if mood.keys:
        xs = [k[0] for k in mood.keys]
        _diamonds(qt, plot, xs + xs, [k[1] for k in mood.keys] + [k[2] for k in mood.keys])
    if last:
        plot.setLabel("bottom", "time (s)", color=_INK, **{"font-size": "11pt"})
    return plot


def _mood_legend(qt: Qt) -> Any:
    rows = [
        f'<span style="{_SAMPLE_STYLE}color:{_MOOD_COLORS["valence"]}">━━</span>&nbsp;&nbsp;'
        "valence (unpleasant – pleasant)",
        f'<span style="{_SAMPLE_STYLE}color:{_MOOD_COLORS["arousal"]}">╸╸╸</span>&nbsp;&nbsp;'
        "arousal (calm – excited)",
        "◇&nbsp;&nbsp;mood keyframes",
    ]
    legend = qt.pg.LabelItem("<br>".join(rows), size="10pt", color=_INK, justify="left")
    legend.setFixedWidth(_LEGEND_WIDTH)
    return legend


def _plot_width(width: int) -> float:
    return float(width - 2 * _MARGIN - _UNIT_WIDTH - _AXIS_WIDTH - _LEGEND_WIDTH - 30)


def _add_titles(qt: Qt, layout: Any, figure: Figure) -> None:
    layout.addLabel(figure.title, row=0, col=0, colspan=3, size="15pt", bold=True, color=_INK)
    layout.addLabel(figure.subtitle, row=1, col=0, colspan=3, size="10.5pt", color=_MUTED)


def _unit_labels(layout: Any, panels: Sequence[Panel], *, first_row: int) -> None:
    """One rotated label per run of neighbouring panels with the same unit."""
    row = 0
    while row < len(panels):
        span = 1
        while row + span < len(panels) and panels[row + span].unit == panels[row].unit:
            span += 1
        layout.addLabel(
            panels[row].unit, row=first_row + row, col=0, rowspan=span, angle=-90,
            size="11pt", color=_MUTED,
        )  # fmt: skip
        row += span


def _link_and_size(layout: Any, plots: Sequence[Any]) -> None:
    for plot in plots[1:]:
        plot.setXLink(plots[0])
    grid = layout.layout
    grid.setColumnFixedWidth(0, _UNIT_WIDTH)
    grid.setColumnFixedWidth(2, _LEGEND_WIDTH)
    grid.setHorizontalSpacing(4)
    grid.setVerticalSpacing(2)


def figure_widget(qt: Qt, figure: Figure, *, size: tuple[int, int] = DEFAULT_SIZE) -> Any:
    """A ``GraphicsLayoutWidget`` drawing ``figure``, resized to ``size`` (width, height) px.

    Needs a QApplication (:func:`~avatardrive.views._plot_qt.application`).
    """
    widget = qt.pg.GraphicsLayoutWidget(show=False)
    widget.setBackground(_BACKGROUND)
    widget.resize(*size)
    layout = widget.ci
    layout.setContentsMargins(_MARGIN, _MARGIN, _MARGIN, _MARGIN)
    _add_titles(qt, layout, figure)
    panels = [*figure.regions, *([figure.rig] if figure.rig is not None else [])]
    events, n_lanes = _events_plot(qt, figure, plot_px=_plot_width(size[0]))
    layout.addItem(events, row=2, col=1)
    layout.layout.setRowFixedHeight(2, n_lanes * _LANE_HEIGHT + 10)
    plots = [events]
    row = 3
    roomy = size[1] >= _ROOMY
    if figure.lanes is not None:
        share = _LANES_SHARE if roomy else _LANES_SHARE / 3
        lanes_px = min(len(figure.lanes.labels) * _LANE_PX, share * size[1])
        lane_px = lanes_px / len(figure.lanes.labels)
        plots.append(_lanes_plot(qt, figure, figure.lanes, lane_px=lane_px))
        layout.addItem(plots[-1], row=row, col=1)
        layout.addItem(_lanes_legend(qt, figure, roomy=roomy), row=row, col=2)
        layout.addLabel("AU lanes" if roomy else "AUs", row=row, col=0, angle=-90,
                        size="11pt" if roomy else "8pt", color=_MUTED)  # fmt: skip
        layout.layout.setRowFixedHeight(row, lanes_px + 10)
        row += 1
    if figure.mood is not None and roomy:  # thumbnails show the mood in the lanes' colour only
        plots.append(_mood_plot(qt, figure, figure.mood, last=not panels))
        layout.addItem(plots[-1], row=row, col=1)
        layout.addItem(_mood_legend(qt), row=row, col=2)
        layout.addLabel("(−1 – 1)", row=row, col=0, angle=-90, size="11pt", color=_MUTED)
        layout.layout.setRowStretchFactor(row, 1)
        row += 1
    for i, panel in enumerate(panels):
        plots.append(_panel_plot(qt, panel, figure, last=i == len(panels) - 1))
        layout.addItem(plots[-1], row=row + i, col=1)
        layout.addItem(_legend(qt, panel.legend, compact=not roomy), row=row + i, col=2)
        layout.layout.setRowStretchFactor(row + i, 3 if panel is figure.rig else 2)
    _unit_labels(layout, panels, first_row=row)
    _link_and_size(layout, plots)
    return widget


def grab_image(qt: Qt, widget: Any) -> Any:
    """The widget's pixels as a ``QImage`` (ARGB32), at its size in device-independent pixels."""
    qt.widgets.QApplication.processEvents()
    image = widget.grab().toImage()
    return image.convertToFormat(qt.gui.QImage.Format.Format_ARGB32)


def save_png(
    qt: Qt, figure: Figure, path: str | os.PathLike[str], *, size: tuple[int, int] = DEFAULT_SIZE
) -> None:
    """Draw ``figure`` off screen and write it to ``path`` as a PNG of ``size`` pixels.

    The image goes to a temporary file beside ``path`` first and replaces it only when complete,
    so a failed render never leaves a partial or stale-looking file behind.

    Raises
    ------
    AvatarDriveError
        When the file cannot be written.
    """
    target = Path(path)
    widget = figure_widget(qt, figure, size=size)
    try:
        image = grab_image(qt, widget)
    finally:
        widget.deleteLater()
    temp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:12]}.tmp.png")  # umask modes
    try:
        if not image.save(str(temp), "PNG"):
            raise AvatarDriveError("cannot be written as a PNG", source=str(target))
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
