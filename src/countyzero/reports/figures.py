"""Figures and documents for every report: matplotlib set up for Chinese, inline SVG, and PDF.

Figures are SVG with text kept as text (``svg.fonttype: none``), so a page needs no external asset and the
reader's fonts draw Chinese; installed CJK fonts (Debian ``fonts-wqy-microhei`` or ``fonts-noto-cjk``) are
registered with matplotlib for figures rendered to raster and for WeasyPrint's PDF.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

from markupsafe import Markup

CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "DejaVu Sans"]
CJK_FONT_FILES = ("truetype/wqy/wqy-microhei.tt*", "opentype/noto/NotoSansCJK-Regular.tt*")
FONT_ROOT = Path("/usr/share/fonts")


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, with CJK fonts registered and SVG text kept as text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for pattern in CJK_FONT_FILES:
        for path in sorted(FONT_ROOT.glob(pattern)):
            if str(path) not in known:  # matplotlib's font cache may predate the font's installation
                font_manager.fontManager.addfont(str(path))
    plt.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": CJK_FONTS,
                         "axes.unicode_minus": False, "svg.hashsalt": "countyzero"})
    return plt


def svg(fig: Any) -> Markup:
    """The figure as an inline ``<svg>`` element (and closes it)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG: the browser draws it with its own CJK fonts even where matplotlib has
        # none to measure it with.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return Markup(text[text.index("<svg"):])  # SVG made here by matplotlib, not user text


def html_to_pdf(html: str) -> bytes:
    """A PDF of a self-contained HTML page (WeasyPrint; no network: the page holds every asset inline)."""
    from weasyprint import HTML

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"offline: not fetching {url}")

    pdf: bytes = HTML(string=html, url_fetcher=no_fetch).write_pdf()
    return pdf
