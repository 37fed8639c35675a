"""Draw a :class:`~avatardrive.views._plot_model.Figure` with pyqtgraph, and save it as a PNG.

Layout, on a white background (columns: a rotated unit label, the plots, their legends)::

    title / subtitle
    [events]   labelled bars, staggered into lanes so that names do not overlap
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

from avatardrive.errors import AvatarDriveError
from avatardrive.views._plot_model import Figure, LegendEntry, Panel, Span, Trace, stagger
from avatardrive.views._plot_qt import Qt

__all__ = ["DEFAULT_SIZE", "figure_widget", "grab_image", "save_png"]

DEFAULT_SIZE = (1600, 1000)

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


def _sample_html(entry: LegendEntry) -> str:
    """Line samples in two columns: left side (solid), right side (dashed); no side is solid."""
    glyphs = []
    for side, line in (("L", "━━"), ("R", "╸╸╸")):
        shown = side in entry.sides or (side == "L" and None in entry.sides)
        red, green, blue = _trace_rgb(entry.color, side)
        color = f"#{red:02x}{green:02x}{blue:02x}" if shown else "transparent"
        glyphs.append(f'<span style="{_SAMPLE_STYLE}color:{color}">{line}</span>')
    return "&thinsp;".join(glyphs)


def _legend(qt: Qt, entries: Sequence[LegendEntry]) -> Any:
    rows = [f"{_sample_html(entry)}&nbsp;&nbsp;{html.escape(entry.label)}" for entry in entries]
    legend = qt.pg.LabelItem("<br>".join(rows), size="10pt", color=_INK, justify="left")
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
        plot.plot(figure.times, trace.values, pen=_trace_pen(qt, trace), antialias=True)
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
    return plot, n_lanes


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
    for i, panel in enumerate(panels):
        row = 3 + i
        plots.append(_panel_plot(qt, panel, figure, last=i == len(panels) - 1))
        layout.addItem(plots[-1], row=row, col=1)
        layout.addItem(_legend(qt, panel.legend), row=row, col=2)
        layout.layout.setRowStretchFactor(row, 3 if panel is figure.rig else 2)
    _unit_labels(layout, panels, first_row=3)
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
