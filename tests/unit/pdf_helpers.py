"""Reading rendered PDFs back the way a recipient's tools do (poppler's pdftotext, pdftoppm)."""

from __future__ import annotations

import pathlib
import re
import subprocess
import tempfile
from dataclasses import dataclass


def pdf_text(pdf: bytes, *flags: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "r.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", *flags, str(path), "-"], check=True, capture_output=True, text=True
        ).stdout


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words(pdf: bytes) -> list[Word]:
    """Every word poppler finds, with its box, page by page."""
    out = []
    for page, chunk in enumerate(pdf_text(pdf, "-bbox").split("<page ")[1:], start=1):
        for m in _WORD.finditer(chunk):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            out.append(Word(page, m.group(5), x0, y0, x1, y1))
    return out


def overlaps(pdf: bytes, slack: float = 0.6) -> list[tuple[Word, Word]]:
    """Pairs of words drawn over each other: their boxes intersect by more than `slack` points
    across and by more than 40% of the smaller height (tall script fonts declare boxes that
    touch the next line without any ink overlapping)."""
    found = []
    by_page: dict[int, list[Word]] = {}
    for w in words(pdf):
        by_page.setdefault(w.page, []).append(w)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.x0)
        for i, a in enumerate(page_words):
            for b in page_words[i + 1 :]:
                if b.x0 >= a.x1 - slack:
                    break
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                height = min(a.y1 - a.y0, b.y1 - b.y0)
                if dx > slack and dy > max(slack, 0.4 * height):
                    found.append((a, b))
    return found


def page_count(pdf: bytes) -> int:
    return pdf_text(pdf).count("\f")
