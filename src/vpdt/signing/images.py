"""Demo signature images drawn with Pillow: a blue handwriting-like signature and a red
round seal, both transparent PNGs, so the demo downloads nothing.

Real deployments upload the scanned signature and seal of each person and agency; these
only stand in for them.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
INK_BLUE = (16, 42, 160, 255)
SEAL_RED = (214, 24, 32, 255)
_SUPERSAMPLE = 4


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:  # fonts-dejavu-core missing: still draw something
        return ImageFont.load_default()


def _rng(text: str) -> random.Random:
    # Same name, same signature: demo documents look stable from run to run.
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def signature_image(name: str, width: int = 480, height: int = 200) -> Image.Image:
    """A blue, transparent, handwriting-like flourish derived from `name`."""
    s = _SUPERSAMPLE
    img = Image.new("RGBA", (width * s, height * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    rng = _rng(name)
    # A smooth pen path: a sum of a few sines with random phases, advancing left to right.
    strokes = 2 + rng.randint(0, 1)
    x0 = 0.08 * width
    for k in range(strokes):
        span = (0.84 * width) / strokes
        a1, a2 = rng.uniform(0.18, 0.32) * height, rng.uniform(0.05, 0.15) * height
        f1, f2 = rng.uniform(2.5, 4.5), rng.uniform(7, 11)
        p1, p2 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
        points = []
        steps = 220
        for i in range(steps + 1):
            t = i / steps
            x = x0 + k * span + t * span + 0.06 * width * math.sin(f2 * t * math.pi + p2)
            y = height / 2 + a1 * math.sin(f1 * t * math.pi + p1) + a2 * math.cos(f2 * t * math.pi + p2)
            points.append((x * s, y * s))
        for i in range(len(points) - 1):
            # Pressure: thicker in the middle of a stroke, thin at its ends.
            t = i / len(points)
            w = max(1, int((1.2 + 3.2 * math.sin(math.pi * t)) * s))
            draw.line([points[i], points[i + 1]], fill=INK_BLUE, width=w)
    # The underline flourish most signatures end with.
    y = height * 0.78
    draw.line([(0.15 * width * s, y * s), (0.9 * width * s, (y - 0.08 * height) * s)], fill=INK_BLUE, width=2 * s)
    return img.resize((width, height), Image.LANCZOS)


def seal_image(agency_name: str, size: int = 600, place: str = "") -> Image.Image:
    """A red round seal: two rings, the agency name around the top, a star in the middle."""
    s = _SUPERSAMPLE
    big = size * s
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = big / 2
    outer = big / 2 - 4 * s
    ring = big * 0.018
    draw.ellipse([c - outer, c - outer, c + outer, c + outer], outline=SEAL_RED, width=int(ring))
    inner = outer * 0.70
    draw.ellipse([c - inner, c - inner, c + inner, c + inner], outline=SEAL_RED, width=int(ring * 0.6))
    # Five-pointed star.
    r_out, r_in = inner * 0.42, inner * 0.17
    pts = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        ang = -math.pi / 2 + i * math.pi / 5
        pts.append((c + r * math.cos(ang), c + r * math.sin(ang)))
    draw.polygon(pts, fill=SEAL_RED)
    # Agency name along the ring, one rotated glyph at a time.
    text = agency_name.upper()
    font = _font(int(outer * 0.16), bold=True)
    radius = (outer + inner) / 2
    sweep = min(300.0, 12.5 * len(text))  # degrees covered by the text
    start = -90 - sweep / 2
    for i, ch in enumerate(text):
        ang = math.radians(start + sweep * (i + 0.5) / max(1, len(text)))
        glyph = Image.new("RGBA", (int(outer * 0.3), int(outer * 0.3)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(ang) - 90, resample=Image.BICUBIC)
        x = c + radius * math.cos(ang) - glyph.width / 2
        y = c + radius * math.sin(ang) - glyph.height / 2
        img.alpha_composite(glyph, (int(x), int(y)))
    if place:
        small = _font(int(outer * 0.12), bold=True)
        draw.text((c, c + outer * 0.82), place.upper(), font=small, fill=SEAL_RED, anchor="mm")
    return img.resize((size, size), Image.LANCZOS)


def to_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def save_png(img: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")
    return path


def signature_png(name: str) -> bytes:
    """The demo signature of `name`: blue, transparent PNG."""
    return to_png(signature_image(name))


def seal_png(agency_name: str, place: str = "") -> bytes:
    """The demo seal of an agency: red, round, transparent PNG."""
    return to_png(seal_image(agency_name, place=place))
