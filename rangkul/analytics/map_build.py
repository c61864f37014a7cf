"""Build ``data/provinces.json`` (the province map) from the openly licensed ``@svg-maps/indonesia`` paths.

``python -m rangkul.analytics.map_build PATH/TO/index.js`` (the package's ``index.js``, CC BY 4.0,
based on MapSVG's map of Indonesia) writes the simplified shapes: each ring is thinned with the
Douglas–Peucker rule to ``TOLERANCE`` map units, islets smaller than ``MIN_EXTENT`` are dropped, and
coordinates are rounded to one decimal. Each shape is tied to the Kemendagri province codes it
covers (``SHAPE_CODES``): provinces created after the map was drawn sit inside their parent's shape.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

OUTPUT = Path(__file__).parent / "data" / "provinces.json"
TOLERANCE = 0.45
MIN_EXTENT = 1.2

# Map shape → Kemendagri codes. The 2022 Papua provinces (93 Papua Selatan, 94 Papua Tengah,
# 95 Papua Pegunungan: UU 14–16/2022; 96 Papua Barat Daya: UU 29/2022) are drawn inside 91 and 92.
SHAPE_CODES: dict[str, list[str]] = {
    "id-ac": ["11"],
    "id-su": ["12"],
    "id-sb": ["13"],
    "id-ri": ["14"],
    "id-ja": ["15"],
    "id-ss": ["16"],
    "id-be": ["17"],
    "id-la": ["18"],
    "id-bb": ["19"],
    "id-kr": ["21"],
    "id-jk": ["31"],
    "id-jb": ["32"],
    "id-jt": ["33"],
    "id-yo": ["34"],
    "id-ji": ["35"],
    "id-bt": ["36"],
    "id-ba": ["51"],
    "id-nb": ["52"],
    "id-nt": ["53"],
    "id-kb": ["61"],
    "id-kt": ["62"],
    "id-ks": ["63"],
    "id-ki": ["64"],
    "id-ku": ["65"],
    "id-sa": ["71"],
    "id-st": ["72"],
    "id-sn": ["73"],
    "id-sg": ["74"],
    "id-go": ["75"],
    "id-sr": ["76"],
    "id-ma": ["81"],
    "id-mu": ["82"],
    "id-pa": ["91", "93", "94", "95"],
    "id-pb": ["92", "96"],
}

Point = tuple[float, float]


def rings(path: str) -> list[list[Point]]:
    """Absolute rings of a path made of relative moves (``m``), implicit relative lines and ``z``."""
    tokens = re.findall(r"[mzMZ]|-?\d*\.?\d+(?:e-?\d+)?", path)
    result: list[list[Point]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    ring: list[Point] = []
    numbers: list[float] = []
    for part in [*tokens, "m"]:
        if part in "mzMZ":
            for index in range(0, len(numbers) - 1, 2):
                x, y = x + numbers[index], y + numbers[index + 1]
                if not ring:
                    start = (x, y)
                ring.append((x, y))
            numbers = []
            if part in "zZ":
                x, y = start
            if ring:
                result.append(ring)
                ring = []
            continue
        numbers.append(float(part))
    return result


def _distance(point: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length < 1e-9:
        return math.hypot(px - ax, py - ay)
    return abs(dy * px - dx * py + bx * ay - by * ax) / length


def simplify_ring(ring: list[Point], tolerance: float) -> list[Point]:
    """A ring is split at its point farthest from the first, and each half thinned on its own."""
    if len(ring) < 4:
        return ring
    far = max(range(len(ring)), key=lambda i: math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1]))
    return simplify(ring[: far + 1], tolerance)[:-1] + simplify([*ring[far:], ring[0]], tolerance)[:-1]


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, first
        for i in range(first + 1, last):
            distance = _distance(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _extent(ring: list[Point]) -> float:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return max(max(xs) - min(xs), max(ys) - min(ys))


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def path_of(shape_rings: list[list[Point]]) -> str:
    """Relative path text, one decimal; the largest ring is always kept, islets below MIN_EXTENT are not."""
    largest = max(shape_rings, key=_extent)
    parts = []
    x = y = 0.0
    for ring in shape_rings:
        if ring is not largest and _extent(ring) < MIN_EXTENT:
            continue
        thin = [(round(px, 1), round(py, 1)) for px, py in simplify_ring(ring, TOLERANCE)]
        if len(thin) < 3:
            continue
        moves = []
        for px, py in thin:
            moves.append(f"{_number(px - x)} {_number(py - y)}")
            x, y = px, py
        parts.append("m" + " ".join(moves) + "z")
        x, y = thin[0]
    return "".join(parts)


def build(source: Path) -> dict[str, object]:
    text = source.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") :].rstrip().rstrip(";"))
    shapes = []
    for location in data["locations"]:
        shapes.append(
            {
                "id": location["id"],
                "name": location["name"],
                "codes": SHAPE_CODES[location["id"]],
                "path": path_of(rings(location["path"])),
            }
        )
    return {
        "source": "@svg-maps/indonesia 1.0.0 (based on MapSVG's map of Indonesia), simplified",
        "license": "CC BY 4.0",
        "viewBox": data["viewBox"],
        "shapes": sorted(shapes, key=lambda shape: shape["codes"][0]),
    }


if __name__ == "__main__":  # pragma: no cover (a one-off build step)
    OUTPUT.write_text(json.dumps(build(Path(sys.argv[1])), ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.write(f"{OUTPUT} {OUTPUT.stat().st_size} bytes\n")
