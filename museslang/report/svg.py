"""Small, dependency-free SVG charts for reports: lines, scatter points and grouped bars.

Inline SVG keeps the HTML report one file that opens offline; no plotting library
is needed to build it or to view it. Output is deterministic (fixed palette,
fixed number formatting), so a report can be diffed like any other file.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
W, H = 520, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 150, 34, 42  # room for axes, legend and title


def _num(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.2f}".rstrip("0")


class _Frame:
    def __init__(
        self, title: str, xlabel: str, ylabel: str, x: tuple[float, float], y: tuple[float, float]
    ) -> None:
        self.x0, self.x1 = x if x[0] != x[1] else (x[0] - 1, x[1] + 1)
        self.y0, self.y1 = y if y[0] != y[1] else (y[0] - 1, y[1] + 1)
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11" role="img">',
            f"<title>{escape(title)}</title>",
            f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
        ]
        self._axes(xlabel, ylabel)

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return H - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (H - TOP - BOTTOM)

    def _axes(self, xlabel: str, ylabel: str) -> None:
        p = self.parts
        right, bottom = W - RIGHT, H - BOTTOM
        for i in range(5):
            v = self.y0 + (self.y1 - self.y0) * i / 4
            y = self.py(v)
            p.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            p.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(v)}</text>')
        p.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>')
        p.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>')
        mid = (LEFT + right) / 2
        p.append(f'<text x="{mid:.1f}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>')
        p.append(
            f'<text x="14" y="{(TOP + bottom) / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {(TOP + bottom) / 2:.1f})">{escape(ylabel)}</text>'
        )

    def xticks(self, ticks: Sequence[tuple[float, str]]) -> None:
        for x, label in ticks:
            self.parts.append(
                f'<text x="{self.px(x):.1f}" y="{H - BOTTOM + 15}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )

    def legend(self, names: Sequence[str]) -> None:
        for i, name in enumerate(names):
            y = TOP + 6 + i * 16
            color = PALETTE[i % len(PALETTE)]
            self.parts.append(
                f'<rect x="{W - RIGHT + 12}" y="{y - 8}" width="10" height="10" fill="{color}"/>'
            )
            self.parts.append(f'<text x="{W - RIGHT + 27}" y="{y + 1}">{escape(name[:22])}</text>')

    def dot(self, x: float, y: float, color: str, tip: str, r: int = 3) -> None:
        """A marker at data point (x, y) with a hover tip."""
        self.parts.append(
            f'<circle cx="{self.px(x):.1f}" cy="{self.py(y):.1f}" r="{r}" fill="{color}" '
            f'fill-opacity="0.85"><title>{escape(tip)}</title></circle>'
        )

    def done(self) -> str:
        return "\n".join([*self.parts, "</svg>"])


def _y_range(values: list[float], unit: bool) -> tuple[float, float]:
    if unit or not values:
        return 0.0, 1.0
    return 0.0, max(values) * 1.1 or 1.0


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    xlabel: str,
    ylabel: str,
    unit: bool = True,
) -> str:
    """One polyline with markers per series; x values are numbers (users, turns)."""
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ys = [y for pts in series.values() for _, y in pts]
    frame = _Frame(
        title, xlabel, ylabel, (min(xs, default=0), max(xs, default=1)), _y_range(ys, unit)
    )
    step = max(1, len(xs) // 10)
    frame.xticks([(x, _num(x)) for x in xs[::step]])
    for i, pts in enumerate(series.values()):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in sorted(pts))
        frame.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>'
        )
        for x, y in pts:
            frame.dot(x, y, color, f"{_num(x)}: {y:.3f}")
    frame.legend(list(series))
    return frame.done()


def scatter_chart(
    title: str, points: dict[str, tuple[float, float]], xlabel: str, ylabel: str
) -> str:
    """One labelled point per name, both axes 0..1 (privacy against utility)."""
    frame = _Frame(title, xlabel, ylabel, (0.0, 1.0), (0.0, 1.0))
    frame.xticks([(v / 4, _num(v / 4)) for v in range(5)])
    for i, (name, (x, y)) in enumerate(points.items()):
        frame.dot(x, y, PALETTE[i % len(PALETTE)], f"{name}: {x:.3f}, {y:.3f}", r=6)
    frame.legend(list(points))
    return frame.done()


def bar_chart(
    title: str, groups: list[str], series: dict[str, list[float | None]], ylabel: str
) -> str:
    """Grouped bars: one group per label, one bar per series (None: no bar)."""
    frame = _Frame(title, "", ylabel, (0.0, float(len(groups))), (0.0, 1.0))
    frame.xticks([(g + 0.5, label[:18]) for g, label in enumerate(groups)])
    width = 0.8 / max(len(series), 1)
    for i, values in enumerate(series.values()):
        color = PALETTE[i % len(PALETTE)]
        for g, v in enumerate(values):
            if v is None:
                continue
            x = frame.px(g + 0.1 + i * width)
            bar_w = frame.px(g + 0.1 + (i + 1) * width) - x - 1
            top = frame.py(v)
            frame.parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                f'height="{frame.py(0) - top:.1f}" fill="{color}"><title>{v:.3f}</title></rect>'
            )
    frame.legend(list(series))
    return frame.done()
