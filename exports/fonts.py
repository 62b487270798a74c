"""Fonts and scripts of the packet documents: which TrueType font draws which character, and
how right-to-left and complex scripts are prepared for reportlab. No Flask, no caseflow.

reportlab embeds TrueType-outline fonts only, so every font here is a `.ttf`/`.ttc` with
TrueType outlines from a Debian package (DejaVu for Latin, Greek and Cyrillic; Noto Sans per
script; WenQuanYi Zen Hei for Chinese, Japanese and Korean). Arabic and Hebrew are reshaped
(arabic-reshaper) and reordered (python-bidi, Unicode Bidirectional Algorithm) before layout;
Thai, Indic and Khmer runs are shaped by HarfBuzz (uharfbuzz) through reportlab's `shaping`.

Without the fonts (a fresh machine): Latin text falls back to the PDF standard fonts
(Helvetica, Courier) so a packet can still be built; any character those fonts cannot show
raises `FontMissingError` naming the Debian package to install. Nothing is dropped silently.
"""

from __future__ import annotations

import functools
import pathlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEFAULT_DIRS = (pathlib.Path("/usr/share/fonts/truetype"), pathlib.Path("/usr/share/fonts"))


class FontMissingError(Exception):
    """A character needs a font that is not installed; the message names the Debian package."""


@dataclass(frozen=True)
class ScriptFont:
    """A font for one script: file names (regular, bold), the Debian package that ships them,
    the code-point ranges it is used for, and how its text must be prepared."""

    key: str
    script: str
    regular: str
    bold: str
    package: str
    ranges: tuple[tuple[int, int], ...]
    rtl: bool = False  # reorder with the bidi algorithm (and reshape Arabic)
    shaped: bool = False  # needs HarfBuzz glyph substitution and positioning
    cjk: bool = False  # lines may break between any two characters
    subfont: int = 0  # index in a TrueType collection (.ttc)


BASE = ScriptFont(
    "Base",
    "Latin, Greek and Cyrillic",
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "fonts-dejavu-core",
    (),
)
MONO = ScriptFont(
    "Mono",
    "Latin (monospaced)",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "fonts-dejavu-core",
    (),
)
SCRIPTS: tuple[ScriptFont, ...] = (
    ScriptFont(
        "Arabic",
        "Arabic",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
        "fonts-noto-core",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
        rtl=True,
    ),
    ScriptFont(
        "Hebrew",
        "Hebrew",
        "NotoSansHebrew-Regular.ttf",
        "NotoSansHebrew-Bold.ttf",
        "fonts-noto-core",
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
        rtl=True,
    ),
    ScriptFont(
        "Thai",
        "Thai",
        "NotoSansThai-Regular.ttf",
        "NotoSansThai-Bold.ttf",
        "fonts-noto-core",
        ((0x0E00, 0x0E7F),),
        shaped=True,
    ),
    ScriptFont(
        "Lao",
        "Lao",
        "NotoSansLao-Regular.ttf",
        "NotoSansLao-Bold.ttf",
        "fonts-noto-core",
        ((0x0E80, 0x0EFF),),
        shaped=True,
    ),
    ScriptFont(
        "Khmer",
        "Khmer",
        "NotoSansKhmer-Regular.ttf",
        "NotoSansKhmer-Bold.ttf",
        "fonts-noto-core",
        ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
        shaped=True,
    ),
    ScriptFont(
        "Deva",
        "Devanagari",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        "fonts-noto-core",
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
        shaped=True,
    ),
    ScriptFont(
        "Beng",
        "Bengali",
        "NotoSansBengali-Regular.ttf",
        "NotoSansBengali-Bold.ttf",
        "fonts-noto-core",
        ((0x0980, 0x09FF),),
        shaped=True,
    ),
    ScriptFont(
        "Taml",
        "Tamil",
        "NotoSansTamil-Regular.ttf",
        "NotoSansTamil-Bold.ttf",
        "fonts-noto-core",
        ((0x0B80, 0x0BFF),),
        shaped=True,
    ),
    ScriptFont(
        "Mymr",
        "Myanmar",
        "NotoSansMyanmar-Regular.ttf",
        "NotoSansMyanmar-Bold.ttf",
        "fonts-noto-core",
        ((0x1000, 0x109F),),
        shaped=True,
    ),
    ScriptFont(
        "Geor",
        "Georgian",
        "NotoSansGeorgian-Regular.ttf",
        "NotoSansGeorgian-Bold.ttf",
        "fonts-noto-core",
        ((0x10A0, 0x10FF), (0x2D00, 0x2D2F)),
    ),
    ScriptFont(
        "Armn",
        "Armenian",
        "NotoSansArmenian-Regular.ttf",
        "NotoSansArmenian-Bold.ttf",
        "fonts-noto-core",
        ((0x0530, 0x058F),),
    ),
    ScriptFont(
        "CJK",
        "Chinese, Japanese and Korean",
        "wqy-zenhei.ttc",
        "wqy-zenhei.ttc",
        "fonts-wqy-zenhei",
        (
            (0x1100, 0x11FF),
            (0x2E80, 0x2FDF),
            (0x3000, 0x30FF),
            (0x3100, 0x31FF),
            (0x3200, 0x9FFF),
            (0xA960, 0xA97F),
            (0xAC00, 0xD7FF),
            (0xF900, 0xFAFF),
            (0xFF00, 0xFFEF),
        ),
        cjk=True,
    ),
)
# Characters the PDF standard fonts (WinAnsiEncoding) can draw: the fallback for Latin text.
_STANDARD = (
    frozenset(bytes(range(0x20, 0x7F)).decode("ascii"))
    | frozenset(bytes(range(0xA0, 0x100)).decode("cp1252"))
    | frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac\n\t")
)


def _find(dirs: Sequence[pathlib.Path], name: str) -> pathlib.Path | None:
    for folder in dirs:
        if not folder.is_dir():
            continue
        direct = folder / name
        if direct.is_file():
            return direct
        for hit in folder.rglob(name):
            return hit
    return None


@dataclass
class _Run:
    font: ScriptFont | None  # None: the base font
    text: str


@dataclass
class FontSet:
    """The fonts found on this machine, registered with reportlab under CaseFlow names.

    `base`, `bold` and `mono` are reportlab font names; `standard` is True when DejaVu is
    missing and the PDF standard fonts stand in (Latin only). `scripts` maps a ScriptFont key
    to its registered (regular, bold) names, for the fonts that were found.
    """

    base: str
    bold: str
    mono: str
    standard: bool
    scripts: dict[str, tuple[str, str]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # script key -> Debian package

    @classmethod
    def discover(cls, dirs: Iterable[pathlib.Path] = DEFAULT_DIRS) -> FontSet:
        """Find and register the fonts under `dirs` (recursively). Never raises for a missing
        font: the gap is recorded and reported when a text needs it."""
        dirs = tuple(pathlib.Path(d) for d in dirs)
        regular, bold, mono = (_find(dirs, n) for n in (BASE.regular, BASE.bold, MONO.regular))
        if regular and bold and mono:
            fonts = cls("CF-Base", "CF-Base-Bold", "CF-Mono", standard=False)
            _register("CF-Base", regular)
            _register("CF-Base-Bold", bold)
            _register("CF-Mono", mono)
            pdfmetrics.registerFontFamily(
                "CF-Base",
                normal="CF-Base",
                bold="CF-Base-Bold",
                italic="CF-Base",
                boldItalic="CF-Base-Bold",
            )
        else:
            fonts = cls("Helvetica", "Helvetica-Bold", "Courier", standard=True)
            fonts.missing[BASE.key] = BASE.package
        for spec in SCRIPTS:
            reg, bld = _find(dirs, spec.regular), _find(dirs, spec.bold)
            if reg is None:
                fonts.missing[spec.key] = spec.package
                continue
            names = (f"CF-{spec.key}", f"CF-{spec.key}-Bold")
            _register(names[0], reg, spec.subfont)
            _register(names[1], bld or reg, spec.subfont)
            fonts.scripts[spec.key] = names
        return fonts

    @functools.cached_property
    def _base_chars(self) -> frozenset[int] | None:
        if self.standard:
            return None
        # Characters of a script with its own font never count as covered: DejaVu has Arabic
        # glyphs, but only the Arabic path reshapes and reorders them.
        return frozenset(
            c
            for c in pdfmetrics.getFont(self.base).face.charToGlyph  # type: ignore[attr-defined]
            if _script_of(c) is None
        )

    def covered(self, text: str) -> bool:
        """True when the base font alone draws every character of `text` (the fast path)."""
        if text.isascii():
            return True
        if self.standard:
            return all(c in _STANDARD for c in text)
        chars = self._base_chars
        assert chars is not None
        return all(ord(c) in chars or c in "\n\t" for c in text)

    def runs(self, text: str) -> list[_Run]:
        """Split `text` into runs of one font. Raises FontMissingError naming the package for a
        script whose font is not installed."""
        out: list[_Run] = []
        for ch in text:
            spec = self._font_for(ch)
            if out and out[-1].font is spec:
                out[-1].text += ch
            else:
                out.append(_Run(spec, ch))
        return out

    def _font_for(self, ch: str) -> ScriptFont | None:
        code = ord(ch)
        spec = _script_of(code)
        if spec is not None:
            if spec.key in self.scripts:
                return spec
            raise FontMissingError(
                f"{spec.script} text ({ch!r}, U+{code:04X}) needs the font package "
                f"{spec.package}; install it (apt-get install {spec.package}) and export again"
            )
        if self.standard:
            if ch in _STANDARD or unicodedata.category(ch).startswith("Z"):
                return None
            raise FontMissingError(
                f"the character {ch!r} (U+{code:04X}) needs the font package {BASE.package}; "
                f"install it (apt-get install {BASE.package}) and export again"
            )
        return None

    def font_name(self, spec: ScriptFont | None, bold: bool = False) -> str:
        if spec is None:
            return self.bold if bold else self.base
        return self.scripts[spec.key][1 if bold else 0]

    def markup(self, text: str, bold: bool = False) -> tuple[str, Layout]:
        """Paragraph markup for a plain user string: escaped, newlines as line breaks, each
        run in its script's font, right-to-left runs reshaped and in visual order."""
        layout = Layout()
        if self.covered(text):
            return escape(text).replace("\n", "<br/>"), layout
        lines = []
        for line in text.split("\n"):
            if _has_rtl(line):
                layout.bidi = True
                line = _visual(line)
            parts = []
            for run in self.runs(line):
                piece = escape(run.text)
                if run.font is None:
                    parts.append(piece)
                    continue
                layout.shaped |= run.font.shaped
                layout.cjk |= run.font.cjk
                name = self.font_name(run.font, bold)
                parts.append(f'<font name="{name}">{piece}</font>')
            lines.append("".join(parts))
        return "<br/>".join(lines), layout


@dataclass
class Layout:
    """What a paragraph needs from reportlab: HarfBuzz shaping, CJK line breaking."""

    shaped: bool = False
    cjk: bool = False
    bidi: bool = False


class _TTFont(TTFont):
    """reportlab's TTFont with a fast path for text whose characters all have their own code
    (ASCII in subset 0, as `asciiReadable` assigns them): the same bytes reportlab would make,
    without its per-character loop. A 2,000-item custody annex draws ~150,000 such strings."""

    def splitString(self, text: Any, doc: Any, encoding: str = "utf-8") -> Any:
        ascii_text = isinstance(text, str) and text.isascii()
        if ascii_text:
            # The known set lives on reportlab's per-document state, so it dies with it.
            known = getattr(self.state.get(doc), "cf_identity", None)
            if known is not None and known.issuperset(text):
                return [(0, text.encode("ascii"))]
        out = super().splitString(text, doc, encoding)
        if ascii_text:
            state = self.state[doc]
            if not hasattr(state, "cf_identity"):
                state.cf_identity = set()  # type: ignore[attr-defined]
            assigned = state.assignments  # type: ignore[attr-defined]
            state.cf_identity.update(c for c in set(text) if assigned.get(ord(c)) == ord(c))  # type: ignore[attr-defined]
        return out


def _register(name: str, path: pathlib.Path, subfont: int = 0) -> None:
    try:
        pdfmetrics.getFont(name)
        return
    except KeyError:
        pass
    kwargs = {"subfontIndex": subfont} if path.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(_TTFont(name, str(path), **kwargs))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=4096)
def _script_of(code: int) -> ScriptFont | None:
    for spec in SCRIPTS:
        for lo, hi in spec.ranges:
            if lo <= code <= hi:
                return spec
    return None


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _visual(line: str) -> str:
    """One line in visual order (base direction left-to-right), Arabic letters in their
    contextual presentation forms, so any PDF viewer shows it as written."""
    import arabic_reshaper
    from bidi import get_display

    shown: str = get_display(arabic_reshaper.reshape(line), base_dir="L")
    return shown


@functools.cache
def default_fonts() -> FontSet:
    """The fonts of this machine (searched once per process)."""
    return FontSet.discover()
