"""The request PDF of an MLA packet (reportlab platypus), unsigned; `signing` signs it.

Every user string is escaped before it reaches Paragraph markup; table cells are plain strings
(never parsed as markup). reportlab's URL and host trust is locked down at import.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from exports.model import EvidenceAnnex, LinkChart, PacketData, RequestDoc

MARKING = "CONFIDENTIAL \u2013 LAW ENFORCEMENT"
_PAGE_COUNT_FORM = "cfPageCount"
_MARGIN = 15 * mm
_WIDTH = A4[0] - 2 * _MARGIN


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


def esc(value: object) -> str:
    """Escape any value for reportlab Paragraph markup; newlines become line breaks."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _fmt_dt(value: datetime | date | None) -> str:
    """RFC 3339 UTC for aware datetimes (the packet's convention), ISO 8601 otherwise."""
    if value is None:
        return "\u2014"
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


class _Styles:
    def __init__(self) -> None:
        base = getSampleStyleSheet()
        self.title = ParagraphStyle("cfTitle", parent=base["Title"], fontSize=16, leading=20)
        self.h1 = ParagraphStyle("cfH1", parent=base["Heading1"], fontSize=13, leading=16)
        self.h2 = ParagraphStyle("cfH2", parent=base["Heading2"], fontSize=10.5, leading=13)
        self.body = ParagraphStyle("cfBody", parent=base["BodyText"], fontSize=9, leading=11.5)
        self.small = ParagraphStyle("cfSmall", parent=self.body, fontSize=7.5, leading=9)
        self.banner = ParagraphStyle(
            "cfBanner",
            parent=self.body,
            fontName="Helvetica-Bold",
            fontSize=12,
            leading=15,
            alignment=TA_CENTER,
            textColor=colors.white,
        )


_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
    ("FONTSIZE", (0, 0), (-1, -1), 7),
    ("LEADING", (0, 0), (-1, -1), 8.5),
    ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e8ee")),
]


def _wrap(text: object, width: float, font: str = "Helvetica", size: float = 7) -> str:
    """Break a plain-text cell into lines that fit `width`; cells stay plain strings (fast,
    and never interpreted as markup)."""
    return _wrap_cached("" if text is None else str(text), width, font, size)


@functools.lru_cache(maxsize=8192)
def _wrap_cached(text: str, width: float, font: str, size: float) -> str:
    # Custody cells repeat (the same officers, places and purposes): measure each text once.
    lines: list[str] = []
    limit = width - 5  # the table's default left + right padding
    for part in text.splitlines() or [""]:
        if stringWidth(part, font, size) <= limit:
            lines.append(part)  # fits: kept exactly as written, and no word-by-word split
        else:
            lines.extend(simpleSplit(part, font, size, limit) or [""])
    return "\n".join(lines)


def _table(rows: list[list[Any]], widths: Sequence[float], extra: Iterable[tuple] = ()) -> Table:
    table = LongTable(rows, colWidths=list(widths), repeatRows=1)
    table.setStyle(_style(tuple(extra)))
    return table


@functools.lru_cache(maxsize=64)
def _style(extra: tuple[tuple, ...]) -> TableStyle:
    # One TableStyle per distinct command list: thousands of custody tables share a few.
    return TableStyle([*_GRID, *extra])


class _NumberedCanvas(Canvas):
    """Defines, at save time, the form XObject that every page's footer uses for "of y", so
    the document is laid out once and no page is kept in memory."""

    def save(self) -> None:
        total = self.getPageNumber() - (0 if self._code else 1)
        self.beginForm(_PAGE_COUNT_FORM)
        self.setFont("Helvetica", 7)
        self.drawString(0, 0, str(total))
        self.endForm()
        super().save()


def _decorate(reference: str, packet_digest: str):
    ref = str(reference)

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        width, height = A4
        canvas.setFont("Helvetica-Bold", 7.5)
        canvas.setFillColor(colors.HexColor("#a40000"))
        canvas.drawString(_MARGIN, height - 10 * mm, MARKING)
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawRightString(width - _MARGIN, height - 10 * mm, f"Request {ref}")
        canvas.setFont("Helvetica", 7)
        label = f"Page {canvas.getPageNumber()} of "
        canvas.drawString(_MARGIN, 8 * mm, label)
        canvas.translate(_MARGIN + stringWidth(label, "Helvetica", 7) + 1.5, 8 * mm)
        canvas.doForm(_PAGE_COUNT_FORM)
        canvas.translate(-(_MARGIN + stringWidth(label, "Helvetica", 7) + 1.5), -8 * mm)
        canvas.drawRightString(width - _MARGIN, 8 * mm, f"Packet digest (SHA-256) {packet_digest}")
        canvas.drawString(_MARGIN, 5 * mm, f"{MARKING} \u00b7 {ref}")
        canvas.restoreState()

    return on_page


def _kv(rows: Sequence[tuple[str, object]], st: _Styles) -> Table:
    data = [[Paragraph(f"<b>{esc(k)}</b>", st.body), Paragraph(esc(v), st.body)] for k, v in rows]
    table = Table(data, colWidths=[45 * mm, _WIDTH - 45 * mm])
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


_URGENCY_COLOUR = {"normal": "#3a5f8f", "urgent": "#c26a00", "emergency": "#a40000"}


def _cover(req: RequestDoc, data: PacketData, digest: str, st: _Styles) -> list[Any]:
    auth = req.requesting_authority
    state = req.requested_state
    banner = Table(
        [[Paragraph(esc(f"URGENCY: {req.urgency.upper()}"), st.banner)]],
        colWidths=[_WIDTH],
    )
    banner.setStyle(
        TableStyle(
            [("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(_URGENCY_COLOUR[req.urgency]))]
        )
    )
    signoff = [f"Author: {req.author.name}, {req.author.role}, {req.author.date.isoformat()}"]
    if req.approver is not None:
        a = req.approver
        signoff.append(f"Approved: {a.name}, {a.role}, {a.date.isoformat()}")
    return [
        Paragraph(esc(MARKING), st.h2),
        Paragraph("Request for mutual legal assistance", st.title),
        Paragraph(f"Reference <b>{esc(req.reference)}</b>", st.h1),
        banner,
        Spacer(1, 4),
        _kv(
            [
                ("Urgency reason", req.urgency_reason),
                ("Deadline", _fmt_dt(req.deadline)),
                ("Legal basis", f"{req.instrument.label} ({req.instrument.code})"),
                ("About the legal basis", req.instrument.explanation),
                ("Request type(s)", ", ".join(req.request_types)),
                ("Case reference", req.case_reference),
                ("Requesting authority", f"{auth.name}\n{auth.address}"),
                (
                    "Contact person",
                    f"{auth.contact_person} \u00b7 {auth.phone} \u00b7 {auth.email}",
                ),
                ("24/7 contact", f"{auth.contact_24_7} (time zone {auth.time_zone})"),
                ("Requested state", f"{state.name} ({state.code})"),
                ("Central authority", state.central_authority),
                ("Language", req.language),
                ("Generated", _fmt_dt(data.generated_at)),
                ("Sign-off", "\n".join(signoff)),
                ("Packet digest (SHA-256)", digest),
            ],
            st,
        ),
        Spacer(1, 6),
        Paragraph(
            "The packet digest is the SHA-256 of the packet's manifest of every other member; "
            "VERIFY.txt in the packet explains how to recompute it and check every file, "
            "custody entry and signature offline.",
            st.small,
        ),
        PageBreak(),
    ]


def _particulars(req: RequestDoc, st: _Styles) -> list[Any]:
    out: list[Any] = [Paragraph("Particulars of the request", st.h1)]
    for heading, body in req.sections:
        out.append(Paragraph(esc(heading), st.h2))
        out.append(Paragraph(esc(body), st.body))
    out.append(Paragraph("Summary of facts", st.h2))
    out.append(Paragraph(esc(req.summary_of_facts), st.body))
    out.append(Paragraph("Offences", st.h2))
    offence_rows: list[list[Any]] = [["Offence", "Statutory provision", "Maximum penalty"]]
    widths = (_WIDTH * 0.4, _WIDTH * 0.35, _WIDTH * 0.25)
    for o in req.offences:
        offence_rows.append(
            [
                _wrap(o.name, widths[0]),
                _wrap(o.statutory_provision, widths[1]),
                _wrap(o.maximum_penalty, widths[2]),
            ]
        )
    out.append(_table(offence_rows, widths))
    if req.time_range is not None:
        out.append(Paragraph("Time range", st.h2))
        out.append(
            Paragraph(
                esc(f"{_fmt_dt(req.time_range.start)} to {_fmt_dt(req.time_range.end)} (UTC)"),
                st.body,
            )
        )
    out.append(Paragraph("Necessity and proportionality", st.h2))
    out.append(Paragraph(esc(req.necessity), st.body))
    out.append(Paragraph("Confidentiality and limits on use", st.h2))
    out.append(Paragraph(esc(req.confidentiality), st.body))
    out.append(Paragraph("Earlier requests and preservation", st.h2))
    out.append(Paragraph(esc("\n".join(req.earlier_requests) or "None."), st.body))
    return out


def _fit_token(value: str, width: float, font: str, size: float) -> tuple[str, float]:
    """Keep a space-free token (address, hash, URL) on one line, shrinking the font down to 4.5
    pt so it stays copyable and searchable; only longer tokens are broken by characters."""
    if " " in value:
        return _wrap(value, width, font, size), size
    room = width - 5
    fitted = min(size, max(4.5, size * room / max(stringWidth(value, font, size), 1)))
    if stringWidth(value, font, fitted) <= room:
        return value, fitted
    per_line = max(1, int(len(value) * room / stringWidth(value, font, fitted)))
    return "\n".join(value[i : i + per_line] for i in range(0, len(value), per_line)), fitted


def _identifiers(req: RequestDoc, st: _Styles) -> list[Any]:
    widths = (20 * mm, 68 * mm, 30 * mm, 11 * mm, _WIDTH - 129 * mm)
    rows: list[list[Any]] = [["Kind", "Value", "Observed (UTC)", "Port", "Relevance"]]
    sizes: list[tuple] = []
    for row, ident in enumerate(req.identifiers, start=1):
        value, size = _fit_token(ident.value, widths[1], "Courier", 7)
        if size != 7:
            sizes.append(("FONTSIZE", (1, row), (1, row), size))
        rows.append(
            [
                _wrap(ident.kind, widths[0]),
                value,
                _fmt_dt(ident.observed_at),
                "" if ident.port is None else str(ident.port),
                _wrap(ident.relevance, widths[4]),
            ]
        )
    return [
        CondPageBreak(40 * mm),
        Paragraph("Annex A \u2013 Identifiers", st.h1),
        Paragraph(
            "Times are UTC. The same table is in identifiers.csv and request.json.", st.small
        ),
        _table(rows, widths, [("FONTNAME", (1, 1), (1, -1), "Courier"), *sizes]),
    ]


def _evidence_rows(items: Sequence[EvidenceAnnex], widths: Sequence[float]) -> list[list[Any]]:
    rows: list[list[Any]] = [["Item", "Description and acquisition", "SHA-256", "Size (bytes)"]]
    for item in items:
        text = (
            f"{item.description}\n{item.kind}, {item.media_type}, file {item.filename}\n"
            f"Acquired {_fmt_dt(item.acquired_at)} by {item.acquired_by}; {item.method}"
        )
        rows.append(
            [_wrap(item.number, widths[0]), _wrap(text, widths[1]), item.sha256, str(item.size)]
        )
    return rows


_EVIDENCE_WIDTHS = (30 * mm, _WIDTH - 30 * mm - 83 * mm - 18 * mm, 83 * mm, 18 * mm)
_HASH_FONT = [("FONTNAME", (2, 1), (2, -1), "Courier"), ("FONTSIZE", (2, 1), (2, -1), 5.8)]


def _evidence(data: PacketData, st: _Styles) -> list[Any]:
    mode = "included in the packet" if data.include_files else "listed only (files not included)"
    return [
        PageBreak(),
        Paragraph("Annex B \u2013 Evidence", st.h1),
        Paragraph(
            esc(
                f"{len(data.evidence)} items, {mode}. SHA-256 values were computed at intake and "
                "re-checked when this packet was built; SHA256SUMS and manifest.json list "
                "the same values."
            ),
            st.small,
        ),
        _table(
            _evidence_rows(data.evidence, _EVIDENCE_WIDTHS),
            _EVIDENCE_WIDTHS,
            [*_HASH_FONT, ("ALIGN", (3, 1), (3, -1), "RIGHT")],
        ),
    ]


# Ledger number and time share a column so location and purpose get room for a line each; the
# entry hash keeps one unbroken line (81 mm at 5.8 pt Courier) so a reader can search for it.
_CUSTODY_WIDTHS = (
    27.5 * mm,
    _WIDTH - 27.5 * mm - 39 * mm - 81 * mm,
    39 * mm,
    81 * mm,
)


def custody_groups(data: PacketData) -> list[tuple[str, list[Any]]]:
    """Custody entries grouped by exhibit number: evidence order first, then any others,
    entries in ledger order within each item."""
    groups: dict[str, list[Any]] = {e.number: [] for e in data.evidence}
    for entry in sorted(data.custody.entries, key=lambda e: e.index):
        number = str(entry.record.get("exhibit_number", "") or "(no exhibit)")
        groups.setdefault(number, []).append(entry)
    return [(k, v) for k, v in groups.items() if v]


def _actor_text(record: Mapping[str, Any]) -> str:
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


def _custody(data: PacketData, st: _Styles) -> list[Any]:
    w = _CUSTODY_WIDTHS
    out: list[Any] = [
        PageBreak(),
        Paragraph("Annex C \u2013 Chain of custody", st.h1),
        Paragraph(
            esc(
                f"{len(data.custody.entries)} ledger entries, each proven by an inclusion proof "
                f"in the signed tree head of size {data.custody.tree_size} (key "
                f"{data.custody.key_name}); custody.json carries the proofs."
            ),
            st.small,
        ),
    ]
    for number, entries in custody_groups(data):
        rows: list[list[Any]] = [
            ["Ledger # / time (UTC)", "Action / actor", "Location / purpose", "Entry SHA-256"]
        ]
        for entry in entries:
            r = entry.record
            action = f"{r.get('action', '')}\n{_actor_text(r)}"
            where = "\n".join(str(r.get(k)) for k in ("location", "purpose") if r.get(k))
            rows.append(
                [
                    _wrap(f"{entry.index}\n{r.get('ts_utc', '')}", w[0]),
                    _wrap(action, w[1]),
                    _wrap(where, w[2]),
                    entry.entry_hash,
                ]
            )
        out.append(CondPageBreak(25 * mm))
        out.append(Paragraph(f"Item {esc(number)}", st.h2))
        out.append(
            _table(
                rows,
                w,
                [("FONTNAME", (3, 1), (3, -1), "Courier"), ("FONTSIZE", (3, 1), (3, -1), 5.8)],
            )
        )
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


def link_chart_drawing(
    chart: LinkChart, width: float = _WIDTH, height: float = 120 * mm
) -> Drawing:
    """Draw the entities on a circle (sorted by id, so the layout is deterministic) with their
    typed links; labels are plain strings, never markup."""
    drawing = Drawing(width, height)
    nodes = sorted(chart.nodes, key=lambda n: n.id)
    if not nodes:
        drawing.add(String(10, height / 2, "No entities.", fontName="Helvetica", fontSize=8))
        return drawing
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
                fontName="Helvetica-Oblique",
                fontSize=5.5,
                fillColor=colors.HexColor("#555555"),
                textAnchor="middle",
            )
        )
    for node in nodes:
        x, y = pos[node.id]
        fill = colors.HexColor(_KIND_COLOUR.get(node.kind, "#607d8b"))
        drawing.add(Circle(x, y, 5, fillColor=fill, strokeColor=colors.white, strokeWidth=0.5))
        drawing.add(
            String(
                x, y - 12, node.label[:48], fontName="Helvetica", fontSize=6, textAnchor="middle"
            )
        )
        drawing.add(
            String(
                x,
                y - 18,
                node.kind,
                fontName="Helvetica",
                fontSize=5,
                fillColor=colors.grey,
                textAnchor="middle",
            )
        )
    return drawing


def _chart(data: PacketData, st: _Styles) -> list[Any]:
    return [
        PageBreak(),
        Paragraph("Annex D \u2013 Link chart of the entities concerned", st.h1),
        KeepTogether([link_chart_drawing(data.chart)]),
    ]


def render_request_pdf(data: PacketData, packet_digest: str) -> bytes:
    """Lay out the request PDF in one pass and return its bytes (unsigned).

    Order: cover (reference, authorities, legal basis, urgency), particulars with the
    instrument's sections in the given order, Annex A identifiers, Annex B evidence,
    Annex C custody (per item), Annex D link chart. Every page carries the marking, the
    reference, "Page x of y" and the packet digest.
    """
    lock_down_reportlab()
    st = _Styles()
    req = data.request
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"MLA request {req.reference}",
        author=req.requesting_authority.name,
        subject=f"packet-digest sha256:{packet_digest}",
        keywords=f"CaseFlow MLA request {req.reference}",
        creator="CaseFlow",
    )
    story: list[Any] = []
    story += _cover(req, data, packet_digest, st)
    story += _particulars(req, st)
    story += _identifiers(req, st)
    story += _evidence(data, st)
    story += _custody(data, st)
    story += _chart(data, st)
    on_page = _decorate(req.reference, packet_digest)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
