"""The 通报's charts as PNG: categories, departments' on-time rates (0–100 %) and overdue counts, drawn by matplotlib.

Each figure has its own Agg canvas (no pyplot, no GUI, no global state), so the portal's threads may draw at once.
Counts and rates never share an axis: a count axis has whole-number ticks, a rate axis runs 0–100 %."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from bot.bulletin.fonts import cjk_font
from bot.cases.scoreboard_figures import Scoreboard

DPI = 200                  # sharp in print at the 15 cm the document gives a chart
WIDTH_INCHES = 6.3         # 16 cm: the text width of an A4 page with the document's margins
COUNT_COLOUR = "#2f5597"
OVERDUE_COLOUR = "#c00000"
RATE_COLOUR = "#548235"


@dataclass(frozen=True)
class Chart:
    """One chart: its caption in the document and the PNG."""

    caption: str
    png: bytes


def bulletin_charts(board: Scoreboard) -> dict[str, Chart]:
    """The charts this period has something to show in: "categories", "on_time" and "overdue" when drawn."""
    charts: dict[str, Chart] = {}
    if board.categories:
        charts["categories"] = Chart("图1　问题类别分布（件）", count_chart(
            [name for name, _ in board.categories], [number for _, number in board.categories], COUNT_COLOUR))
    worked = [score for score in board.departments if score.received]
    rated = [score for score in worked if score.on_time_rate is not None]
    if rated:
        charts["on_time"] = Chart("图2　责任单位按时办结率（%）", rate_chart(
            [score.name for score in rated], [100 * (score.on_time_rate or 0) for score in rated]))
    if any(score.overdue for score in worked):
        late = sorted((score for score in worked if score.overdue), key=lambda score: -score.overdue)
        charts["overdue"] = Chart("图3　责任单位超期案件（件）", count_chart(
            [score.name for score in late], [score.overdue for score in late], OVERDUE_COLOUR))
    return charts


def count_chart(labels: Sequence[str], values: Sequence[int], colour: str) -> bytes:
    return png(count_figure(labels, values, colour))


def rate_chart(labels: Sequence[str], percents: Sequence[float]) -> bytes:
    return png(rate_figure(labels, percents))


def count_figure(labels: Sequence[str], values: Sequence[int], colour: str) -> Figure:
    """Horizontal bars of whole numbers, the first label on top, each bar with its number."""
    figure, axes, bars = _bars(labels, values, colour)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max(1, max(values, default=0)) * 1.15)
    axes.bar_label(bars, labels=[str(value) for value in values], padding=3, fontsize=9)
    return figure


def rate_figure(labels: Sequence[str], percents: Sequence[float]) -> Figure:
    """Horizontal bars of percentages on an axis from 0 to 100 %, each bar with its rate."""
    figure, axes, bars = _bars(labels, percents, RATE_COLOUR)
    axes.set_xlim(0, 112)   # room for the label of a bar at 100 %
    axes.set_xticks(range(0, 101, 20))
    axes.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    axes.bar_label(bars, labels=[f"{value:.1f}%" for value in percents], padding=3, fontsize=9)
    return figure


def _bars(labels: Sequence[str], values: Sequence[float], colour: str) -> tuple[Figure, Axes, BarContainer]:
    font = cjk_font()
    figure = Figure(figsize=(WIDTH_INCHES, 0.9 + 0.36 * max(len(labels), 2)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, values, color=colour, height=0.6)
    axes.set_yticks(positions, labels=list(labels), fontproperties=font, fontsize=10)
    axes.invert_yaxis()
    axes.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes, bars


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
