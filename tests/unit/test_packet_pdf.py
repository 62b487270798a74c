"""The request PDF: text a recipient can search, page furniture, escaping, reportlab lockdown."""

import io
import zipfile

from reportlab import rl_config

from exports.model import Identifier
from exports.pdf import MARKING, render_request_pdf
from tests.unit.packet_factory import built_packet, make_packet
from tests.unit.pdf_helpers import pdf_text


def test_pdf_text_has_reference_identifiers_and_every_sha256():
    built = built_packet()
    pdf = zipfile.ZipFile(io.BytesIO(built.zip_bytes)).read("request.pdf")
    text = pdf_text(pdf)
    assert "CF-2026-0001/R-01" in text
    for ident in built.data.request.identifiers:
        assert ident.value in text, ident.value
    for item in built.data.evidence:
        assert item.sha256 in text, item.number
    for entry in built.data.custody.entries:
        assert entry.entry_hash in text
    assert "URGENT" in text
    assert "Netherlands (NL)" in text


def test_every_page_has_marking_reference_digest_and_page_x_of_y():
    digest = "d" * 64
    pdf = render_request_pdf(make_packet(items=40, per_item=4), digest)
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert MARKING in page
        assert "CF-2026-0001/R-01" in page
        assert digest in page


def test_markup_in_user_text_is_printed_literally():
    text = pdf_text(render_request_pdf(make_packet(), "0" * 64))
    assert "<font color='red'>x</font>" in text
    assert "<a href='file:///etc/passwd'>x</a>" in text
    assert "Example Police Service <Cyber Unit>" in text
    assert "<b>bold?</b>" in text


def test_annexes_are_numbered_and_indexed_and_the_chart_legend_has_every_label():
    data = make_packet()
    text = pdf_text(render_request_pdf(data, "0" * 64))
    for number, title in enumerate(
        ("Identifiers", "Evidence", "Chain of custody", "Link chart"), start=1
    ):
        heading = f"Annex {number} \u2013 {title}"
        assert heading in text
        assert text.index(heading) > text.index("Annex index")
    for node in data.chart.nodes:
        assert node.label in text
    assert "CONTACTED" in text


def test_reportlab_trust_is_locked_down():
    assert rl_config.trustedHosts == []
    assert rl_config.trustedSchemes == ["data"]
    assert rl_config.toColorCanUse != "rl_safe_eval"


def test_long_tokens_stay_whole():
    wallet = "bc1q" + "x" * 58
    data = make_packet(identifiers=(Identifier("wallet", wallet, None, None, "Payments"),))
    assert wallet in pdf_text(render_request_pdf(data, "0" * 64))
