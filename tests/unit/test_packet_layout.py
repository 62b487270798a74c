"""Layout a reader can trust: no text drawn over other text, no value cut without an ellipsis
and its full value elsewhere, no annex page without content."""

from __future__ import annotations

import re
from dataclasses import replace

from exports.model import ChartEdge, ChartNode, Identifier, LinkChart
from exports.pdf import render_request_pdf
from tests.unit.packet_factory import make_packet
from tests.unit.pdf_helpers import overlaps, page_count, pdf_text

LONG_URL = "https://www.petites-annonces-exemple.example.fr/categorie/services/annonce/48213"


def test_custody_timestamps_do_not_overprint_the_actor_column():
    data = make_packet(items=4, per_item=6)
    entries = tuple(
        replace(
            e,
            record={
                **e.record,
                "actor": {
                    "name": "Detective Constable Alexandra Example-Longname",
                    "role": "officer",
                    "organisation": "Example Regional Cyber Crime Unit",
                },
            },
        )
        for e in data.custody.entries
    )
    pdf = render_request_pdf(
        replace(data, custody=replace(data.custody, entries=entries)), "0" * 64
    )
    assert overlaps(pdf) == []
    text = pdf_text(pdf)
    for entry in entries:
        assert entry.record["ts_utc"] in text


def test_no_table_cell_spills_into_its_neighbour():
    token = "x" * 300  # no space to break at
    idents = (Identifier("account", "handle_" + "y" * 120, None, None, "relevance " + token),)
    data = make_packet(items=2, per_item=2, identifiers=idents)
    assert overlaps(render_request_pdf(data, "0" * 64)) == []


def test_link_chart_labels_keep_their_end_behind_an_ellipsis_and_the_legend_has_them_whole():
    nodes = (
        ChartNode("n1", LONG_URL, "ad"),
        ChartNode("n2", "+447700900123", "phone"),
    )
    data = replace(make_packet(), chart=LinkChart(nodes, (ChartEdge("n1", "n2", "POSTED"),)))
    pdf = render_request_pdf(data, "0" * 64)
    text = pdf_text(pdf)
    assert LONG_URL in re.sub(r"\s+", "", text)  # the legend: full value
    chart_labels = [line for line in text.splitlines() if "[1]" in line and "\u2026" in line]
    assert chart_labels, "the long label is shortened with an ellipsis in the drawing"
    assert chart_labels[0].rstrip().endswith("annonce/48213")
    assert LONG_URL[:48] + "\n" not in text  # the old cut at 48 characters
    assert overlaps(pdf) == []


def test_a_packet_without_evidence_has_no_evidence_or_custody_pages():
    data = replace(make_packet(items=0, per_item=0), chart=LinkChart((), ()))
    assert data.custody.entries == ()
    pdf = render_request_pdf(data, "0" * 64)
    text = pdf_text(pdf)
    assert "Evidence" not in text.split("Annex index")[1].split("Packet digest")[0]
    assert "Chain of custody" not in text
    assert "Annex 1 \u2013 Identifiers" in text
    with_evidence = render_request_pdf(make_packet(items=3, per_item=3), "0" * 64)
    assert page_count(pdf) < page_count(with_evidence)
    # every page has something besides the running header and footer
    for page in text.split("\f")[:-1]:
        body = [
            line
            for line in page.splitlines()
            if line.strip()
            and "LAW ENFORCEMENT" not in line
            and "Packet digest" not in line
            and "CF-2026-0001/R-01" not in line
        ]
        assert body, "an empty page"


def test_the_overprint_detector_sees_text_drawn_over_text():
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont("Helvetica", 7)
    canvas.drawString(100, 700, "2026-03-02T09:01:00Z")  # a timestamp too wide for its column
    canvas.drawString(160, 700, "DC Alex Example")  # the next column's text
    canvas.save()
    assert overlaps(out.getvalue())
