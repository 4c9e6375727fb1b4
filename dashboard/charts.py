"""Geometry for the server-rendered SVG charts. Templates draw the rectangles and
print the same numbers as a table, so the charts read without sight too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from departments.models import Department

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 1200, 260, 56, 28, 12


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass
class Chart:
    title: str
    rects: list[Rect]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT


def nice_max(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10 if value >= 1 else 0.01
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def histogram(title: str, bins: list[tuple[str, int]], color: str) -> Chart:
    top = nice_max(max((count for _, count in bins), default=0))
    width, height = 320, 150
    plot_w, plot_h = width - LEFT - 8, height - BOTTOM - TOP
    slot = plot_w / max(len(bins), 1)
    rects, labels = [], []
    for i, (label, count) in enumerate(bins):
        h = plot_h * count / top
        x = LEFT + i * slot + slot * 0.12
        rects.append(Rect(x, TOP + plot_h - h, slot * 0.76, h, color, f"{label}: {count}"))
        labels.append((LEFT + i * slot + slot / 2, label))
    ticks = [(TOP + plot_h * (1 - f), _number(top * f)) for f in (0, 0.5, 1)]
    return Chart(title, rects, labels, ticks, width, height)


def stacked_by_day(
    title: str,
    days: list[date],
    departments: list[Department],
    value: dict[tuple[date, str], float],
    unit: str = "",
) -> Chart:
    totals = [sum(value.get((day, d.slug), 0) for d in departments) for day in days]
    top = nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(days), 1)
    rects, labels = [], []
    for i, day in enumerate(days):
        y = float(TOP + plot_h)
        for department in departments:
            amount = value.get((day, department.slug), 0)
            if not amount:
                continue
            h = plot_h * amount / top
            y -= h
            text = f"{day:%b %d} {department.name}: {unit}{_number(amount)}"
            rects.append(
                Rect(LEFT + i * slot + slot * 0.15, y, slot * 0.7, h, department.color, text)
            )
        if i % 2 == 0 or len(days) <= 7:
            labels.append((LEFT + i * slot + slot / 2, f"{day:%b %d}"))
    ticks = [(TOP + plot_h * (1 - f), unit + _number(top * f)) for f in (0, 0.25, 0.5, 0.75, 1)]
    return Chart(title, rects, labels, ticks)


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    if value and value < 1:
        return f"{value:.4g}"
    return f"{value:g}"


def usage_table(
    days: list[date], departments: list[Department], values: dict[tuple[date, str], Any]
) -> list[tuple[date, list[Any]]]:
    return [(day, [values.get((day, d.slug), 0) for d in departments]) for day in days]
