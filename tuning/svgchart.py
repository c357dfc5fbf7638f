"""Hand-written SVG charts for the tuning scripts' reports (Python 3.11 stdlib only).

- line_chart(): series of (x, median, min, max) points, log or linear axes
- bar_chart(): clusters of bars with min–max whiskers
- esc(): text escaped for SVG, for scripts that draw their own charts
"""

from __future__ import annotations

import math

COLORS = {"zk": "#1f77b4", "ringkeeper": "#d62728", "loadgen": "#d62728", "zkref": "#1f77b4"}
EXTRA_COLORS = ["#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step >= raw:
            break
    start = math.floor(lo / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < hi - step * 1e-9:  # last tick is the first one >= hi
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:.4g}"


def _svg_start(title: str, width: int, height: int, ml: float, pw: float, yt: list, Y) -> list[str]:
    """The opening of a chart: svg element, white background, title, y grid lines and tick labels."""
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{ml + pw / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{esc(title)}</text>']
    for t in yt:
        y = Y(t)
        o.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end">{_tick_label(t)}</text>')
    return o


def line_chart(title: str, series: dict, xlabel: str, ylabel: str, logx: bool = True,
               logy: bool = False, width: int = 640, height: int = 400,
               x_tick_labels: dict | None = None,
               legend_notes: tuple[str, str] = ("dot = median", "bar = min–max")) -> str:
    """series: {name: [(x, y, ymin, ymax), ...]} -> SVG text. y ranges drawn as bars.

    logy: log scale on y when the values span more than 10x (else linear from 0).
    x_tick_labels: {x: text} for x ticks that read better than the number (e.g. "64K").
    legend_notes: the two small lines under the legend, saying what a dot and a bar are.
    """
    ml, mr, mt, mb = 70, 130, 40, 50
    pw, ph = width - ml - mr, height - mt - mb
    pts = [p for s in series.values() for p in s if p[1] is not None]
    xs = sorted({p[0] for p in pts}) or [1]
    ymax = max([p[3] if p[3] is not None else p[1] for p in pts] or [1]) or 1
    ymin = min([p[2] if p[2] is not None else p[1] for p in pts] or [1])
    logy = logy and ymin > 0 and ymax / ymin > 10
    if logy:
        ly0 = math.floor(math.log10(ymin))
        ly1 = math.ceil(math.log10(ymax))
        if ly1 == ly0:
            ly1 += 1
        yt = [10.0 ** e for e in range(ly0, ly1 + 1)]

        def Y(y):
            y = max(y, 10.0 ** ly0)
            return mt + ph - (math.log10(y) - ly0) / (ly1 - ly0) * ph
    else:
        yt = _nice_ticks(0, ymax * 1.05)
        ytop = yt[-1] if yt[-1] > 0 else 1

        def Y(y):
            return mt + ph - (y / ytop) * ph
    logx = logx and min(xs) > 0 and len(xs) > 1 and max(xs) / min(xs) >= 10
    if logx:
        lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))
        if lx1 == lx0:
            lx1 = lx0 + 1

        def X(x):
            return ml + (math.log10(x) - lx0) / (lx1 - lx0) * pw
    else:
        x0, x1 = min(xs), max(xs)
        if x1 == x0:
            x1 = x0 + 1

        def X(x):
            return ml + (x - x0) / (x1 - x0) * pw

    if len(xs) == 1:
        def X(x):  # noqa: F811
            return ml + pw / 2
    o = _svg_start(title, width, height, ml, pw, yt, Y)
    for x in xs:
        px = X(x)
        o.append(f'<line x1="{px:.1f}" y1="{mt}" x2="{px:.1f}" y2="{mt + ph}" stroke="#eee"/>')
        o.append(f'<text x="{px:.1f}" y="{mt + ph + 16}" text-anchor="middle">{esc((x_tick_labels or {}).get(x, _tick_label(x)))}</text>')
    o.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    o.append(f'<text x="{ml + pw / 2}" y="{height - 12}" text-anchor="middle">{esc(xlabel)}'
             f'{" (log scale)" if logx else ""}</text>')
    o.append(f'<text x="16" y="{mt + ph / 2}" text-anchor="middle" '
             f'transform="rotate(-90 16 {mt + ph / 2})">{esc(ylabel)}{" (log scale)" if logy else ""}</text>')
    extra = iter(EXTRA_COLORS)
    for i, (name, s) in enumerate(series.items()):
        color = COLORS.get(name) or next(extra, "#000")
        s = sorted([p for p in s if p[1] is not None], key=lambda p: p[0])
        if not s:
            continue
        if len(s) > 1:
            path = " ".join(f"{X(p[0]):.1f},{Y(p[1]):.1f}" for p in s)
            o.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p in s:
            px, py = X(p[0]), Y(p[1])
            if p[2] is not None and p[3] is not None and p[3] > p[2]:
                o.append(f'<line x1="{px:.1f}" y1="{Y(p[2]):.1f}" x2="{px:.1f}" y2="{Y(p[3]):.1f}" '
                         f'stroke="{color}" stroke-width="1"/>')
            o.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}">'
                     f'<title>{esc(name)}: x={p[0]:g} y={p[1]:.4g}</title></circle>')
        ly = mt + 14 + i * 20
        o.append(f'<line x1="{ml + pw + 12}" y1="{ly}" x2="{ml + pw + 36}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        o.append(f'<text x="{ml + pw + 42}" y="{ly + 4}">{esc(name)}</text>')
    o.append(f'<text x="{ml + pw + 12}" y="{mt + 14 + len(series) * 20 + 6}" font-size="10" fill="#666">'
             f'{esc(legend_notes[0])}</text>')
    o.append(f'<text x="{ml + pw + 12}" y="{mt + 14 + len(series) * 20 + 20}" font-size="10" fill="#666">'
             f'{esc(legend_notes[1])}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def bar_chart(title: str, groups: dict, ylabel: str, width: int = 640, height: int = 400) -> str:
    """groups: {group label: {series name: (y, ymin, ymax)}} -> SVG text.

    One cluster of bars per group (in the dict's order), one bar per series
    (same colour in every group), linear y from 0; ymin/ymax (None = no
    whisker) drawn as a min–max whisker over the bar.
    """
    ml, mr, mt, mb = 70, 130, 40, 60
    pw, ph = width - ml - mr, height - mt - mb
    names: list = []
    for g in groups.values():
        for n in g:
            if n not in names:
                names.append(n)
    tops = [v[2] if v[2] is not None else v[0] for g in groups.values() for v in g.values() if v[0] is not None]
    yt = _nice_ticks(0, max(tops or [1]) * 1.05)
    ytop = yt[-1] if yt[-1] > 0 else 1

    def Y(y):
        return mt + ph - (y / ytop) * ph
    extra = iter(EXTRA_COLORS)
    color = {n: COLORS.get(n) or next(extra, "#000") for n in names}
    o = _svg_start(title, width, height, ml, pw, yt, Y)
    o.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    o.append(f'<text x="16" y="{mt + ph / 2}" text-anchor="middle" '
             f'transform="rotate(-90 16 {mt + ph / 2})">{esc(ylabel)}</text>')
    slot = pw / max(len(groups), 1)
    bw = slot * 0.8 / max(len(names), 1)
    for gi, (label, g) in enumerate(groups.items()):
        gx = ml + gi * slot + slot * 0.1
        o.append(f'<text x="{ml + (gi + 0.5) * slot:.1f}" y="{mt + ph + 16}" text-anchor="middle">'
                 f'{esc(label)}</text>')
        for ni, n in enumerate(names):
            v = g.get(n)
            if not v or v[0] is None:
                continue
            x = gx + ni * bw
            o.append(f'<rect x="{x:.1f}" y="{Y(v[0]):.1f}" width="{bw * 0.9:.1f}" height="{mt + ph - Y(v[0]):.1f}" '
                     f'fill="{color[n]}"><title>{esc(label)}, {esc(n)}: {v[0]:.4g}</title></rect>')
            if v[1] is not None and v[2] is not None and v[2] > v[1]:
                cx = x + bw * 0.45
                o.append(f'<line x1="{cx:.1f}" y1="{Y(v[1]):.1f}" x2="{cx:.1f}" y2="{Y(v[2]):.1f}" '
                         f'stroke="#222" stroke-width="1"/>')
    for i, n in enumerate(names):
        ly = mt + 14 + i * 20
        o.append(f'<rect x="{ml + pw + 12}" y="{ly - 6}" width="24" height="12" fill="{color[n]}"/>')
        o.append(f'<text x="{ml + pw + 42}" y="{ly + 4}">{esc(n)}</text>')
    o.append(f'<text x="{ml + pw + 12}" y="{mt + 14 + len(names) * 20 + 6}" font-size="10" fill="#666">'
             f'bar = median</text>')
    o.append(f'<text x="{ml + pw + 12}" y="{mt + 14 + len(names) * 20 + 20}" font-size="10" fill="#666">'
             f'whisker = min–max</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"
