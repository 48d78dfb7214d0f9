"""The communes map, drawn on the server as SVG from the gazetteer's coordinates: no tile server, no network. Each
commune is a dot; a disc grows with the questions about it (blue) and the people who shared a location nearest
to it (orange)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from genius_loci.core.analytics import CommuneCount

WIDTH = 800
MARGIN = 30
MAX_RADIUS = 28.0
LABELS = 12  # the communes most asked about are named on the map


def communes_svg(rows: Sequence[CommuneCount]) -> str:
    if not rows:
        return ""
    lat0 = sum(r.lat for r in rows) / len(rows)
    kx = math.cos(math.radians(lat0))  # equirectangular, true to scale at the territory's mean latitude
    xs = [r.lon * kx for r in rows]
    ys = [-r.lat for r in rows]
    span = max(max(xs) - min(xs), 1e-6)
    scale = (WIDTH - 2 * MARGIN) / span
    height = int((max(ys) - min(ys)) * scale + 2 * MARGIN)
    most = max([max(r.about, r.asked_from) for r in rows] + [1])

    def at(r: CommuneCount) -> tuple[float, float]:
        return MARGIN + (r.lon * kx - min(xs)) * scale, MARGIN + (-r.lat - min(ys)) * scale

    def radius(n: int) -> float:
        return MAX_RADIUS * math.sqrt(n / most) if n else 0.0

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="Map of the {len(rows)} communes">',
             f'<rect width="{WIDTH}" height="{height}" fill="#eef3f7"/>']
    for r in sorted(rows, key=lambda r: -(r.about + r.asked_from)):
        x, y = at(r)
        title = f"<title>{escape(r.name)}: {r.about} questions about it, {r.asked_from} asked from near it</title>"
        if r.asked_from:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius(r.asked_from):.1f}" fill="#f2a900" '
                         f'fill-opacity="0.45">{title}</circle>')
        if r.about:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius(r.about):.1f}" fill="#0b3d6b" '
                         f'fill-opacity="0.55">{title}</circle>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#333" data-commune="{escape(r.name)}" '
                     f'data-about="{r.about}">{title}</circle>')
    for r in [r for r in rows if r.about or r.asked_from][:LABELS]:
        x, y = at(r)
        parts.append(f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="12" fill="#1b1b1b">{escape(r.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
