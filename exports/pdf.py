"""The request PDF of an MLA packet (reportlab platypus), unsigned; `signing` signs it.

This module owns the page furniture, the form primitives (section bands, fields, tick-boxes,
signature blocks) and the annexes; `exports.documents` owns each instrument's sections. Every
user string goes through `Writer.para`/`Writer.cell`: escaped before it reaches Paragraph markup,
drawn in the font of its script (`exports.fonts`), never cut without an ellipsis and the full
value elsewhere. reportlab's URL and host trust is locked down at import.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from exports.fonts import FontSet, default_fonts
from exports.model import EvidenceAnnex, LinkChart, PacketData, RequestDoc, SignatureBlock

MARKING = "CONFIDENTIAL \u2013 LAW ENFORCEMENT"
DOCUMENT_LANGUAGE = "en"
_PAGE_COUNT_FORM = "cfPageCount"
_MARGIN = 15 * mm
_WIDTH = A4[0] - 2 * _MARGIN
CONTENT_WIDTH = _WIDTH
_CELL_PAD = 2.5  # left and right padding of every table cell (points)
TIMESTAMP_SAMPLE = "0000-00-00T00:00:00Z"


def lock_down_reportlab() -> None:
    """Refuse every URL scheme but `data:` and every remote host (file reads, SSRF), and make
    sure colour attributes are never evaluated with `rl_safe_eval` (CVE-2023-33733)."""
    rl_config.trustedHosts = []
    rl_config.trustedSchemes = ["data"]
    # Flate alone: ASCII85 on top makes streams 25% larger and costs time for nothing.
    rl_config.useA85 = 0
    if rl_config.toColorCanUse == "rl_safe_eval":
        rl_config.toColorCanUse = "rl_extended_literal_eval"


lock_down_reportlab()


def fmt_dt(value: datetime | date | None) -> str:
    """RFC 3339 UTC for aware datetimes (the packet's convention), ISO 8601 dates; "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def ellipsize(text: str, width: float, font: str, size: float, keep: int = 0) -> str:
    """`text` if it fits `width`, else its first `keep` characters, then about a third of the
    rest from its start and two thirds from its end around an ellipsis, so the end that tells
    two values apart (`…/annonce/48213`) survives."""
    if stringWidth(text, font, size) <= width:
        return text
    fixed, rest = text[:keep], text[keep:]
    for n in range(len(rest) - 1, 0, -1):
        head = n // 3
        candidate = fixed + rest[:head] + "\u2026" + rest[len(rest) - (n - head) :]
        if stringWidth(candidate, font, size) <= width:
            return candidate
    return fixed + "\u2026"


def hard_wrap(text: str, width: float, font: str, size: float) -> str:
    """Break plain text into lines no wider than `width` (words first, then characters for a
    token longer than a line), so a cell never spills into its neighbour."""
    return _hard_wrap(text, width, font, size)


@functools.lru_cache(maxsize=16384)
def _hard_wrap(text: str, width: float, font: str, size: float) -> str:
    # Custody cells repeat (the same officers, places and purposes): measure each text once.
    lines: list[str] = []
    for part in text.splitlines() or [""]:
        if stringWidth(part, font, size) <= width:
            lines.append(part)  # fits: kept exactly as written
            continue
        for line in simpleSplit(part, font, size, width) or [""]:
            while stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line)
                while cut > 1 and stringWidth(line[:cut], font, size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return "\n".join(lines)


class PlainTable(Flowable):
    """A grid of plain-text cells (already wrapped to their columns), split across pages by
    whole rows with the header repeated. The large annexes (thousands of evidence and custody
    rows) use it instead of reportlab's Table: one text object per page fragment and one path
    for the grid, instead of a canvas state and a text object per cell. Looks like `Writer.grid`."""

    def __init__(
        self,
        rows: list[list[str]],
        widths: Sequence[float],
        fonts: Sequence[tuple[str, float]],
        header_font: str,
        align_right: frozenset[int] = frozenset(),
        leading: float = 8.5,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.widths = list(widths)
        self.fonts = list(fonts)
        self.header_font = header_font
        self.align_right = align_right
        self.leading = leading
        self.heights = [max(cell.count("\n") + 1 for cell in row) * leading + 3 for row in rows]

    def _part(self, rows: list[list[str]], heights: list[float]) -> PlainTable:
        # A fresh flowable (not a copy: platypus marks flowables it postponed).
        part = PlainTable.__new__(PlainTable)
        Flowable.__init__(part)
        for name in ("widths", "fonts", "header_font", "align_right", "leading"):
            setattr(part, name, getattr(self, name))
        part.rows, part.heights = rows, heights
        return part

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width, self.height = sum(self.widths), sum(self.heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        used, k = self.heights[0], 1
        while k < len(self.rows) and used + self.heights[k] <= avail_height:
            used += self.heights[k]
            k += 1
        if k == 1:
            return []  # not even one row fits: move the whole table on
        if k == len(self.rows):
            return [self]
        head = [self.rows[0]], [self.heights[0]]
        return [
            self._part(self.rows[:k], self.heights[:k]),
            self._part(head[0] + self.rows[k:], head[1] + self.heights[k:]),
        ]

    def draw(self) -> None:
        c = self.canv
        width, height = sum(self.widths), sum(self.heights)
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        c.saveState()
        c.setFillColor(_HEADER_BG)
        c.rect(0, height - self.heights[0], width, self.heights[0], stroke=0, fill=1)
        lines: list[tuple[float, float, float, float]] = []
        y = height
        for h in self.heights:
            lines.append((0, y, width, y))
            y -= h
        lines.append((0, 0, width, 0))
        lines += [(x, 0, x, height) for x in xs]
        c.setStrokeColor(colors.grey)
        c.setLineWidth(0.25)
        c.lines(lines)
        c.setFillColor(colors.black)
        text = c.beginText()
        current: tuple[str, float] | None = None
        top = height
        for r, row in enumerate(self.rows):
            for col, cell in enumerate(row):
                font = (self.header_font, 7.0) if r == 0 else self.fonts[col]
                if font != current:
                    text.setFont(font[0], font[1], self.leading)
                    current = font
                baseline = top - 1.5 - font[1]
                for line in cell.split("\n"):
                    x = xs[col] + _CELL_PAD
                    if r and col in self.align_right:
                        x = xs[col + 1] - _CELL_PAD - stringWidth(line, font[0], font[1])
                    text.setTextOrigin(x, baseline)
                    text.textOut(line)
                    baseline -= self.leading
            top -= self.heights[r]
        c.drawText(text)
        c.restoreState()


_HEADER_BG = colors.HexColor("#e4e8ee")


@dataclass(frozen=True)
class AnnexInfo:
    number: int
    title: str
    summary: str


class Writer:
    """Fonts, styles and the primitives every document is made of."""

    def __init__(self, fonts: FontSet) -> None:
        self.fonts = fonts
        base, bold = fonts.base, fonts.bold
        self.title = ParagraphStyle(
            "cfTitle", fontName=bold, fontSize=13, leading=16, alignment=TA_CENTER, spaceAfter=4
        )
        self.subtitle = ParagraphStyle(
            "cfSubtitle", fontName=base, fontSize=8.5, leading=11, alignment=TA_CENTER
        )
        self.h1 = ParagraphStyle("cfH1", fontName=bold, fontSize=11.5, leading=14, spaceAfter=3)
        self.h2 = ParagraphStyle(
            "cfH2", fontName=bold, fontSize=9, leading=11.5, spaceBefore=5, spaceAfter=2
        )
        self.body = ParagraphStyle("cfBody", fontName=base, fontSize=8.5, leading=11)
        self.label = ParagraphStyle("cfLabel", fontName=bold, fontSize=7.5, leading=9.5)
        self.small = ParagraphStyle("cfSmall", fontName=base, fontSize=7, leading=8.8)
        self.cell_style = ParagraphStyle("cfCell", fontName=base, fontSize=7, leading=8.5)
        self.band = ParagraphStyle(
            "cfBand", fontName=bold, fontSize=9, leading=11.5, textColor=colors.white
        )
        self.banner = ParagraphStyle(
            "cfBanner",
            fontName=bold,
            fontSize=12,
            leading=15,
            alignment=TA_CENTER,
            textColor=colors.white,
        )
        self.tick_on = "\u2612" if not fonts.standard else "[X]"
        self.tick_off = "\u2610" if not fonts.standard else "[ ]"
        self._variants: dict[tuple[str, bool, bool], ParagraphStyle] = {}
        self.grid = [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), base),
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("LEADING", (0, 0), (-1, -1), 8.5),
            ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PAD),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")),
        ]

    # -- text -------------------------------------------------------------------------------

    def _style(self, style: ParagraphStyle, shaped: bool, cjk: bool) -> ParagraphStyle:
        if not shaped and not cjk:
            return style
        key = (style.name, shaped, cjk)
        if key not in self._variants:
            self._variants[key] = ParagraphStyle(
                f"{style.name}-{int(shaped)}{int(cjk)}",
                parent=style,
                shaping=1 if shaped else 0,
                wordWrap="CJK" if cjk else None,
            )
        return self._variants[key]

    def para(self, text: object, style: ParagraphStyle | None = None, bold: bool = False) -> Any:
        """A paragraph of user text: escaped, each script in its font, RTL in visual order."""
        style = style or self.body
        markup, layout = self.fonts.markup("" if text is None else str(text), bold=bold)
        return Paragraph(markup, self._style(style, layout.shaped, layout.cjk))

    def rich(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        """A paragraph of our own fixed markup (no user text in it)."""
        return Paragraph(markup, style or self.body)

    def cell(self, text: object, width: float, mono: bool = False, size: float = 7) -> Any:
        """A table cell: a plain wrapped string when the base font draws it (fast, never parsed
        as markup), else a Paragraph with per-script fonts."""
        value = "" if text is None else str(text)
        font = self.fonts.mono if mono else self.fonts.base
        if value.isascii() or self.fonts.covered(value):
            return hard_wrap(value, width - 2 * _CELL_PAD, font, size)
        style = (
            self.cell_style if size == 7 else ParagraphStyle("c", self.cell_style, fontSize=size)
        )
        return self.para(value, style)

    def table(
        self, rows: list[list[Any]], widths: Sequence[float], extra: Iterable[tuple[Any, ...]] = ()
    ) -> LongTable:
        table = LongTable(rows, colWidths=list(widths), repeatRows=1)
        table.setStyle(self.table_style(tuple(extra)))
        return table

    def big_table(
        self,
        rows: list[list[Any]],
        widths: Sequence[float],
        mono_col: int,
        align_right: frozenset[int] = frozenset(),
    ) -> Any:
        """A large table of hashes and plain cells: a PlainTable when every cell is plain text
        (the usual case), else reportlab's Table (cells with other scripts need Paragraphs).
        The `mono_col` column holds a 64-digit hash at 5.8 pt monospace."""
        if all(isinstance(cell, str) for row in rows for cell in row):
            fonts = [(self.fonts.base, 7.0)] * len(widths)
            fonts[mono_col] = (self.fonts.mono, 5.8)
            return PlainTable(rows, widths, fonts, self.fonts.bold, align_right)
        extra = [
            ("FONTNAME", (mono_col, 1), (mono_col, -1), self.fonts.mono),
            ("FONTSIZE", (mono_col, 1), (mono_col, -1), 5.8),
            *[("ALIGN", (c, 1), (c, -1), "RIGHT") for c in sorted(align_right)],
        ]
        return self.table(rows, widths, extra)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one Writer per build; bounded
    def table_style(self, extra: tuple[tuple[Any, ...], ...] = ()) -> TableStyle:
        # One TableStyle per distinct command list: thousands of custody tables share a few.
        commands: list[Any] = [*self.grid, *extra]
        return TableStyle(commands)

    # -- form primitives --------------------------------------------------------------------

    def section(self, letter: str, heading: str) -> Table:
        """The shaded band that opens a form section: "SECTION A: Issuing/validating authority"
        (or an item of a letter: "(a) The authority making the request")."""
        if not letter:
            label = heading
        elif letter.startswith("("):
            label = f"{letter} {heading}"
        else:
            label = f"SECTION {letter}: {heading}"
        band = Table([[self.rich(_esc(label), self.band)]], colWidths=[_WIDTH])
        band.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#2f4a6d")),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return band

    def fields(self, rows: Sequence[tuple[str, object]], label_width: float = 52 * mm) -> Table:
        """Label / value rows of a form. A value nobody stated stays blank (a line to fill in),
        never a made-up answer."""
        data = [
            [self.rich(_esc(label), self.label), self.para(value if value is not None else "")]
            for label, value in rows
        ]
        table = Table(data, colWidths=[label_width, _WIDTH - label_width])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return table

    def ticks(self, options: Sequence[tuple[str, bool]], columns: int = 1) -> Table:
        """Tick-boxes of a form, ticked where the request says so."""
        cells = [
            self.rich(f"{self.tick_on if on else self.tick_off}&nbsp;&nbsp;{_esc(text)}")
            for text, on in options
        ]
        rows: list[list[Any]] = [cells[i : i + columns] for i in range(0, len(cells), columns)]
        if rows and len(rows[-1]) < columns:
            rows[-1] += [""] * (columns - len(rows[-1]))
        table = Table(rows or [[""]], colWidths=[_WIDTH / columns] * columns)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def signature(self, title: str, block: SignatureBlock | None, certify: str = "") -> Any:
        """A signature block: name, post, date, place, seal and room for the signature. Blank
        where the request does not say (to be completed by hand)."""
        block = block or SignatureBlock()
        rows: list[tuple[str, object]] = [
            ("Name", block.name),
            ("Post held (title/grade)", block.post),
            ("Date", fmt_dt(block.date)),
            ("Place", block.place),
            ("Official stamp or seal", block.seal),
            ("Signature", ""),
        ]
        out: list[Any] = [self.rich(f"<b>{_esc(title)}</b>", self.body)]
        if certify:
            out.append(self.rich(_esc(certify), self.small))
        table = self.fields(rows, 52 * mm)
        table.setStyle(TableStyle([("BOTTOMPADDING", (0, -1), (-1, -1), 18)]))
        out.append(table)
        return KeepTogether(out)

    def text_block(self, heading: str, text: str) -> list[Any]:
        """A headed free-text item; nothing at all when nobody wrote it."""
        if not text.strip():
            return []
        return [self.rich(_esc(heading), self.label), self.para(text), Spacer(1, 3)]


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


class _NumberedCanvas(Canvas):
    """Defines, at save time, the form XObject that every page's footer uses for "of y", so
    the document is laid out once and no page is kept in memory."""

    fonts: FontSet

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Start in our own font: the canvas default (Helvetica) would be a non-embedded font.
        kwargs.setdefault("initialFontName", self.fonts.base)
        super().__init__(*args, **kwargs)

    def save(self) -> None:
        total = self.getPageNumber() - (0 if self._code else 1)  # type: ignore[attr-defined]
        self.beginForm(_PAGE_COUNT_FORM)
        self.setFont(self.fonts.base, 7)
        self.drawString(0, 0, str(total))
        self.endForm()
        super().save()


def _canvas_maker(fonts: FontSet) -> type[Canvas]:
    return type("CaseFlowCanvas", (_NumberedCanvas,), {"fonts": fonts})


def _decorate(w: Writer, req: RequestDoc, packet_digest: str) -> Callable[[Canvas, Any], None]:
    ref = str(req.reference)
    base, bold = w.fonts.base, w.fonts.bold
    title = DOCUMENT_TITLES.get(req.instrument.code, ("",))[0]
    header_right = f"{title} \u00b7 {ref}" if title else ref
    ref_line = w.fonts.covered(header_right)

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        width, height = A4
        canvas.setFont(bold, 7.5)
        canvas.setFillColor(colors.HexColor("#a40000"))
        canvas.drawString(_MARGIN, height - 10 * mm, MARKING)
        canvas.setFillColor(colors.black)
        canvas.setFont(base, 7.5)
        if ref_line:
            canvas.drawRightString(width - _MARGIN, height - 10 * mm, header_right)
        canvas.setFont(base, 7)
        label = f"{ref} \u00b7 Page {canvas.getPageNumber()} of "
        canvas.drawString(_MARGIN, 8 * mm, label)
        shift = _MARGIN + stringWidth(label, base, 7) + 1.5
        canvas.translate(shift, 8 * mm)
        canvas.doForm(_PAGE_COUNT_FORM)
        canvas.translate(-shift, -8 * mm)
        canvas.drawRightString(width - _MARGIN, 8 * mm, f"Packet digest (SHA-256) {packet_digest}")
        canvas.setFont(bold, 6.5)
        canvas.setFillColor(colors.HexColor("#a40000"))
        canvas.drawString(_MARGIN, 5 * mm, MARKING)
        canvas.restoreState()

    return on_page


# Short titles for the running header, and the document title, per instrument code.
DOCUMENT_TITLES: dict[str, tuple[str, str]] = {
    "EPOC": ("EPOC", "European Production Order Certificate (EPOC)"),
    "EPOC-PR": ("EPOC-PR", "European Preservation Order Certificate (EPOC-PR)"),
    "EIO": ("EIO", "European Investigation Order (EIO)"),
    "BUDAPEST-29": ("Art. 29 preservation", "Request for expedited preservation"),
}

_URGENCY = {
    "normal": ("#3a5f8f", "PRIORITY: NORMAL"),
    "urgent": ("#c26a00", "URGENT"),
    "emergency": ("#a40000", "EMERGENCY \u2013 RISK TO LIFE OR PHYSICAL INTEGRITY"),
}


def urgency_banner(w: Writer, req: RequestDoc) -> Table:
    colour, text = _URGENCY[req.urgency]
    banner = Table([[w.rich(_esc(text), w.banner)]], colWidths=[_WIDTH])
    banner.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(colour))]))
    return banner


def deadline_rows(req: RequestDoc) -> list[str]:
    """Each deadline as one line: what is due, the rule, and the UTC instant when known."""
    out = []
    for d in req.deadlines:
        when = f" \u2013 by {fmt_dt(d.due_at)}" if d.due_at else ""
        out.append(f"{d.label}: {d.rule}{when}")
    return out


def cover(w: Writer, req: RequestDoc, annexes: Sequence[AnnexInfo], digest: str) -> list[Any]:
    """The head of every document: title, reference, urgency banner and the facts a recipient
    looks for first (legal basis, deadlines, 24/7 contact, languages, annexes)."""
    state = req.requested_state
    contact = req.contact
    languages = f"{DOCUMENT_LANGUAGE} (English)"
    if state.accepted_languages:
        languages += f"; accepted by {state.name}: {', '.join(state.accepted_languages)}"
    for line in req.translations:
        languages += f"\nCertified translation attached: {line}"
    annex_index = (
        "\n".join(f"Annex {a.number} \u2013 {a.title} ({a.summary})" for a in annexes)
        or "No annexes."
    )
    return [
        urgency_banner(w, req),
        Spacer(1, 3),
        w.fields(
            [
                ("Reference", f"{req.reference} (case {req.case_reference})"),
                ("Date of issue", fmt_dt(req.issued_on)),
                (
                    "Requested State",
                    "\n".join(
                        x for x in (f"{state.name} ({state.code})", state.central_authority) if x
                    ),
                ),
                ("Legal basis", req.instrument.legal_basis),
                ("Deadlines", "\n".join(deadline_rows(req))),
                (
                    "24/7 contact",
                    f"{contact.contact_24_7} (time zone {contact.time_zone})"
                    if contact.contact_24_7
                    else "",
                ),
                ("Language of this document", languages),
                ("Annex index", annex_index),
                ("Packet digest (SHA-256)", digest),
            ],
            40 * mm,
        ),
        Spacer(1, 6),
    ]


# -- annexes --------------------------------------------------------------------------------


def _identifiers(w: Writer, req: RequestDoc, number: int) -> list[Any]:
    widths = (20 * mm, 66 * mm, 32 * mm, 11 * mm, _WIDTH - 129 * mm)
    rows: list[list[Any]] = [["Kind", "Value", "Observed (UTC)", "Port", "Relevance"]]
    sizes: list[tuple[Any, ...]] = []
    for row, ident in enumerate(req.identifiers, start=1):
        value, size = _fit_token(w, ident.value, widths[1])
        if size != 7:
            sizes.append(("FONTSIZE", (1, row), (1, row), size))
        rows.append(
            [
                w.cell(ident.kind, widths[0]),
                value,
                w.cell(fmt_dt(ident.observed_at), widths[2]),
                "" if ident.port is None else str(ident.port),
                w.cell(ident.relevance, widths[4]),
            ]
        )
    return [
        CondPageBreak(40 * mm),
        w.rich(f"Annex {number} \u2013 Identifiers", w.h1),
        w.rich("Times are UTC. The same table is in identifiers.csv and request.json.", w.small),
        w.table(rows, widths, [("FONTNAME", (1, 1), (1, -1), w.fonts.mono), *sizes]),
    ]


def _fit_token(w: Writer, value: str, width: float) -> tuple[Any, float]:
    """Keep a space-free token (address, hash, URL) on one line, shrinking the font down to 4.5
    pt so it stays copyable and searchable; longer tokens break by characters, never cut."""
    font = w.fonts.mono
    if not (value.isascii() or w.fonts.covered(value)):
        return w.cell(value, width), 7
    if " " in value:
        return hard_wrap(value, width - 2 * _CELL_PAD, font, 7), 7
    room = width - 2 * _CELL_PAD
    fitted = min(7.0, max(4.5, 7 * room / max(stringWidth(value, font, 7), 1)))
    return hard_wrap(value, room, font, fitted), fitted


def evidence_rows(
    w: Writer, items: Sequence[EvidenceAnnex], widths: Sequence[float]
) -> list[list[Any]]:
    rows: list[list[Any]] = [["Item", "Description and acquisition", "SHA-256", "Size (bytes)"]]
    for item in items:
        text = (
            f"{item.description}\n{item.kind}, {item.media_type}, file {item.filename}\n"
            f"Acquired {fmt_dt(item.acquired_at)} by {item.acquired_by}; {item.method}"
        )
        rows.append(
            [w.cell(item.number, widths[0]), w.cell(text, widths[1]), item.sha256, str(item.size)]
        )
    return rows


EVIDENCE_WIDTHS = (30 * mm, _WIDTH - 30 * mm - 83 * mm - 18 * mm, 83 * mm, 18 * mm)


def _evidence(w: Writer, data: PacketData, number: int) -> list[Any]:
    mode = "included in the packet" if data.include_files else "listed only (files not included)"
    return [
        PageBreak(),
        w.rich(f"Annex {number} \u2013 Evidence", w.h1),
        w.rich(
            _esc(
                f"{len(data.evidence)} items, {mode}. SHA-256 values were computed at intake and "
                "re-checked when this packet was built; SHA256SUMS and manifest.json list "
                "the same values."
            ),
            w.small,
        ),
        w.big_table(
            evidence_rows(w, data.evidence, EVIDENCE_WIDTHS),
            EVIDENCE_WIDTHS,
            mono_col=2,
            align_right=frozenset({3}),
        ),
    ]


def custody_widths(fonts: FontSet) -> tuple[float, float, float, float]:
    """Column widths of the custody table: the first column fits an RFC 3339 timestamp on one
    line in the base font (so it never runs into the actor column); the entry hash keeps one
    unbroken line so a reader can search for it."""
    first = stringWidth(TIMESTAMP_SAMPLE, fonts.base, 7) + 2 * _CELL_PAD + 1
    hash_col = stringWidth("0" * 64, fonts.mono, 5.8) + 2 * _CELL_PAD + 1
    where = 37 * mm
    return (first, _WIDTH - first - where - hash_col, where, hash_col)


def custody_groups(data: PacketData) -> list[tuple[str, list[Any]]]:
    """Custody entries grouped by exhibit number: evidence order first, then any others,
    entries in ledger order within each item."""
    groups: dict[str, list[Any]] = {e.number: [] for e in data.evidence}
    for entry in sorted(data.custody.entries, key=lambda e: e.index):
        number = str(entry.record.get("exhibit_number", "") or "(no exhibit)")
        groups.setdefault(number, []).append(entry)
    return [(k, v) for k, v in groups.items() if v]


def actor_text(record: Mapping[str, Any]) -> str:
    actor = record.get("actor")
    if isinstance(actor, Mapping):
        bits = [actor.get("name"), actor.get("role"), actor.get("organisation")]
        text = ", ".join(str(b) for b in bits if b)
    else:
        text = "" if actor is None else str(actor)
    for side, key in (("from", "from_custodian"), ("to", "to_custodian")):
        other = record.get(key)
        if isinstance(other, Mapping):
            other = other.get("name")
        if other:
            text += f"\n{side} {other}"
    return text


CUSTODY_HEADER = ["Ledger # / time (UTC)", "Action / actor", "Location / purpose", "Entry SHA-256"]


def custody_rows(w: Writer, entries: Sequence[Any], widths: Sequence[float]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(CUSTODY_HEADER)]
    for entry in entries:
        r = entry.disclosed()
        action = f"{r.get('action', '')}\n{actor_text(r)}"
        where = "\n".join(str(r.get(k)) for k in ("location", "purpose") if r.get(k))
        rows.append(
            [
                w.cell(f"{entry.index}\n{r.get('ts_utc', '')}", widths[0]),
                w.cell(action, widths[1]),
                w.cell(where, widths[2]),
                entry.entry_hash,
            ]
        )
    return rows


def _custody(w: Writer, data: PacketData, number: int) -> list[Any]:
    widths = custody_widths(w.fonts)
    out: list[Any] = [
        PageBreak(),
        w.rich(f"Annex {number} \u2013 Chain of custody", w.h1),
        w.rich(
            _esc(
                f"{len(data.custody.entries)} ledger entries, each proven by an inclusion proof "
                f"in the signed tree head of size {data.custody.tree_size} (key "
                f"{data.custody.key_name}); custody.json carries the proofs."
            ),
            w.small,
        ),
    ]
    for exhibit, entries in custody_groups(data):
        out.append(CondPageBreak(25 * mm))
        out.append(w.para(f"Item {exhibit}", w.h2))
        out.append(w.big_table(custody_rows(w, entries, widths), widths, mono_col=3))
    return out


_KIND_COLOUR = {
    "person": "#3a5f8f",
    "phone": "#2e7d32",
    "email": "#6a1b9a",
    "wallet": "#c26a00",
    "account": "#00838f",
    "ad": "#ad1457",
    "ip_address": "#5d4037",
}
CHART_LABEL_WIDTH = 34 * mm


def link_chart_drawing(
    chart: LinkChart, fonts: FontSet | None = None, width: float = _WIDTH, height: float = 120 * mm
) -> Drawing:
    """Draw the entities on a circle (sorted by id, so the layout is deterministic) with their
    typed links. Each node is keyed [n] to the legend, which holds its full value; a label
    too long for the drawing keeps its start and end around an ellipsis."""
    fonts = fonts or default_fonts()
    drawing = Drawing(width, height)
    nodes = sorted(chart.nodes, key=lambda n: n.id)
    cx, cy = width / 2, height / 2
    radius = min(width, height) / 2 - 22
    pos: dict[str, tuple[float, float]] = {}
    for i, node in enumerate(nodes):
        angle = math.pi / 2 - 2 * math.pi * i / len(nodes)
        pos[node.id] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    for edge in sorted(chart.edges, key=lambda e: (e.source, e.target, e.type)):
        if edge.source not in pos or edge.target not in pos:
            continue
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        drawing.add(Line(x1, y1, x2, y2, strokeColor=colors.grey, strokeWidth=0.6))
        drawing.add(
            String(
                (x1 + x2) / 2,
                (y1 + y2) / 2 + 2,
                edge.type,
                fontName=fonts.base,
                fontSize=5.5,
                fillColor=colors.HexColor("#555555"),
                textAnchor="middle",
            )
        )
    for key, node in enumerate(nodes, start=1):
        x, y = pos[node.id]
        fill = colors.HexColor(_KIND_COLOUR.get(node.kind, "#607d8b"))
        drawing.add(Circle(x, y, 5, fillColor=fill, strokeColor=colors.white, strokeWidth=0.5))
        label = f"[{key}] {node.label}"
        if not fonts.covered(label):
            label = f"[{key}] (see legend)"  # other scripts: the legend shapes them properly
        drawing.add(
            String(
                x,
                y - 12,
                ellipsize(label, CHART_LABEL_WIDTH, fonts.base, 6, keep=len(f"[{key}] ")),
                fontName=fonts.base,
                fontSize=6,
                textAnchor="middle",
            )
        )
        drawing.add(
            String(
                x,
                y - 18,
                node.kind,
                fontName=fonts.base,
                fontSize=5,
                fillColor=colors.grey,
                textAnchor="middle",
            )
        )
    return drawing


def _chart(w: Writer, data: PacketData, number: int) -> list[Any]:
    widths = (12 * mm, 24 * mm, _WIDTH - 36 * mm)
    legend: list[list[Any]] = [["Key", "Kind", "Full value"]]
    for key, node in enumerate(sorted(data.chart.nodes, key=lambda n: n.id), start=1):
        legend.append(
            [f"[{key}]", w.cell(node.kind, widths[1]), w.cell(node.label, widths[2], mono=True)]
        )
    return [
        PageBreak(),
        w.rich(f"Annex {number} \u2013 Link chart of the entities concerned", w.h1),
        KeepTogether([link_chart_drawing(data.chart, w.fonts)]),
        w.rich("Legend: every entity of the chart with its full value.", w.small),
        w.table(legend, widths, [("FONTNAME", (2, 1), (2, -1), w.fonts.mono)]),
    ]


AnnexBuilder = Callable[[Writer, PacketData, int], list[Any]]


def annexes_of(data: PacketData) -> list[tuple[AnnexInfo, AnnexBuilder]]:
    """The annexes this packet has, numbered in order; an empty one is left out (no blank
    evidence or custody pages on a preservation request)."""
    found: list[tuple[str, str, AnnexBuilder]] = []
    req = data.request
    if req.identifiers:
        found.append(
            (
                "Identifiers",
                f"{len(req.identifiers)} rows",
                lambda w, d, n: _identifiers(w, d.request, n),
            )
        )
    if data.evidence:
        found.append(("Evidence", f"{len(data.evidence)} items", _evidence))
    if data.custody.entries:
        found.append(("Chain of custody", f"{len(data.custody.entries)} entries", _custody))
    if data.chart.nodes:
        found.append(("Link chart", f"{len(data.chart.nodes)} entities", _chart))
    return [
        (AnnexInfo(n, title, summary), build)
        for n, (title, summary, build) in enumerate(found, start=1)
    ]


def render_request_pdf(data: PacketData, packet_digest: str, fonts: FontSet | None = None) -> bytes:
    """Lay out the request PDF in one pass and return its bytes (unsigned).

    The instrument's document (`exports.documents.DOCUMENTS`, by instrument code) comes
    first, then the annexes the packet has (identifiers, evidence, custody per item, link
    chart), numbered 1..n. Every page carries the marking, the reference, "Page x of y" and
    the packet digest. Raises `exports.fonts.FontMissingError` when a text needs a font that
    is not installed.
    """
    from exports.documents import document_for

    lock_down_reportlab()
    w = Writer(fonts or default_fonts())
    req = data.request
    annexes = annexes_of(data)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{req.instrument.label} {req.reference}",
        author=req.issuing_authority.name,
        subject=f"packet-digest sha256:{packet_digest}",
        keywords=f"CaseFlow {req.instrument.code} {req.reference}",  # type: ignore[arg-type]
        creator="CaseFlow",
        lang=DOCUMENT_LANGUAGE,
    )
    story: list[Any] = document_for(req.instrument.code)(
        w, req, [info for info, _ in annexes], packet_digest
    )
    for info, build in annexes:
        story += build(w, data, info.number)
    on_page = _decorate(w, req, packet_digest)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_canvas_maker(w.fonts))
    return buffer.getvalue()


__all__ = [
    "CONTENT_WIDTH",
    "MARKING",
    "AnnexInfo",
    "Writer",
    "cover",
    "custody_groups",
    "ellipsize",
    "fmt_dt",
    "hard_wrap",
    "link_chart_drawing",
    "lock_down_reportlab",
    "render_request_pdf",
    "urgency_banner",
]
