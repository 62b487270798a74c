"""The request PDF: text a recipient can search, page furniture, escaping, reportlab lockdown."""

import io
import subprocess
import zipfile

from reportlab import rl_config

from exports.pdf import MARKING, render_request_pdf
from tests.unit.packet_factory import built_packet, make_packet


def pdf_text(pdf: bytes, tmp_path, *flags: str) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *flags, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_pdf_text_has_reference_identifiers_and_every_sha256(tmp_path):
    built = built_packet()
    pdf = zipfile.ZipFile(io.BytesIO(built.zip_bytes)).read("request.pdf")
    text = pdf_text(pdf, tmp_path)
    assert "CF-2026-0001/R-01" in text
    for ident in built.data.request.identifiers:
        assert ident.value in text, ident.value
    for item in built.data.evidence:
        assert item.sha256 in text, item.number
    for entry in built.data.custody.entries:
        assert entry.entry_hash in text
    assert "URGENCY: URGENT" in text
    assert "Netherlands (NL)" in text


def test_every_page_has_marking_reference_digest_and_page_x_of_y(tmp_path):
    digest = "d" * 64
    pdf = render_request_pdf(make_packet(items=40, per_item=4), digest)
    pages = pdf_text(pdf, tmp_path).split("\f")[:-1]
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert MARKING in page
        assert "CF-2026-0001/R-01" in page
        assert digest in page


def test_markup_in_user_text_is_printed_literally(tmp_path):
    pdf = render_request_pdf(make_packet(), "0" * 64)
    text = pdf_text(pdf, tmp_path)
    assert "<font color='red'>x</font>" in text
    assert "<a href='file:///etc/passwd'>x</a>" in text
    assert "Example Police Service <Cyber Unit>" in text
    assert "<b>bold?</b>" in text


def test_link_chart_labels_and_annex_headings_are_drawn(tmp_path):
    data = make_packet()
    text = pdf_text(render_request_pdf(data, "0" * 64), tmp_path)
    for heading in ("Annex A", "Annex B", "Annex C", "Annex D", "Link chart"):
        assert heading in text
    for node in data.chart.nodes:
        assert node.label in text
    assert "CONTACTED" in text
    # the instrument's sections come in the order given
    assert text.index("A. Requesting authority") < text.index("B. Assistance requested")


def test_reportlab_trust_is_locked_down():
    assert rl_config.trustedHosts == []
    assert rl_config.trustedSchemes == ["data"]
    assert rl_config.toColorCanUse != "rl_safe_eval"


def test_long_tokens_stay_whole(tmp_path):
    from exports.model import Identifier

    wallet = "bc1q" + "x" * 58
    data = make_packet(identifiers=(Identifier("wallet", wallet, None, None, "Payments"),))
    assert wallet in pdf_text(render_request_pdf(data, "0" * 64), tmp_path)
