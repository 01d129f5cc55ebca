"""DejaVu Sans (Vietnamese glyphs) registered once in reportlab, for the tables vpdt prints as PDF.

The registers of Phụ lục IV, the usage exports and the period report all print with it; the
font files come from Debian's fonts-dejavu-core (installed by `make`).
"""

from __future__ import annotations

from pathlib import Path

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF")]
SANS, SANS_BOLD = "VpdtSans", "VpdtSans-Bold"


def dejavu_sans() -> tuple[str, str]:
    """The registered names of the regular and bold faces (registered on first use)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if SANS in pdfmetrics.getRegisteredFontNames():
        return SANS, SANS_BOLD
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont(SANS, str(regular)))
            pdfmetrics.registerFont(TTFont(SANS_BOLD, str(bold)))
            return SANS, SANS_BOLD
    raise RuntimeError("DejaVu Sans is missing (Debian package fonts-dejavu-core)")
