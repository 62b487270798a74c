"""Names and addresses in any script the packet needs: TrueType fonts from Debian packages,
Arabic reshaped and in right-to-left order, Thai shaped by HarfBuzz, CJK from a TrueType CJK
font; and on a machine without the fonts, Latin still renders and other scripts fail with the
name of the package to install."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile
import unicodedata

import pytest

from exports.fonts import BASE, FontMissingError, FontSet
from exports.model import Instrument, Person
from exports.pdf import render_request_pdf
from tests.unit.packet_factory import make_packet, make_request
from tests.unit.pdf_helpers import overlaps, pdf_text

NAMES = {
    "Greek": "Σωκράτης Παπαδόπουλος",
    "Cyrillic": "Иван Петрович Сидоров",
    "Arabic": "محمد العلي",
    "Thai": "สมชาย ใจดี",
    "CJK": "王小明 山田太郎 김민준",
}


def _pdffonts(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "r.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdffonts", str(path)], check=True, capture_output=True, text=True
        ).stdout


def _request_with_names():
    persons = tuple(
        Person("witness", name, address=f"{script} address") for script, name in NAMES.items()
    )
    return make_request(
        instrument=Instrument("EIO", "EIO", "Directive 2014/41/EU"),
        persons=persons,
        summary_of_facts="The suspect " + NAMES["Arabic"] + " (Rue 12) met " + NAMES["Thai"] + ".",
    )


def test_greek_cyrillic_arabic_thai_and_cjk_names_render_with_embedded_truetype_fonts():
    pdf = render_request_pdf(make_packet(request=_request_with_names()), "0" * 64)
    fonts = _pdffonts(pdf)
    for name in ("DejaVuSans", "NotoSansArabic", "NotoSansThai", "WenQuanYiZenHei"):
        line = next(line for line in fonts.splitlines() if name in line)
        assert "TrueType" in line and " yes " in line, line  # embedded (subset) TrueType
    assert "Courier" not in fonts
    text = pdf_text(pdf)
    for script in ("Greek", "Cyrillic", "CJK"):
        assert NAMES[script] in text, script
    # Arabic is drawn in contextual presentation forms: searchable after NFKC, in order.
    words = unicodedata.normalize("NFKC", text)
    assert "محمد" in words and "العلي" in words
    # Thai keeps its letters (marks are positioned by HarfBuzz)
    assert all(c in text for c in "สมชายใจด")
    assert overlaps(pdf) == []


def test_arabic_reads_right_to_left():
    from exports.fonts import default_fonts

    markup, layout = default_fonts().markup("Name: محمد العلي")
    assert layout.bidi
    # Visual order: the second word (العلي) is drawn first, left of the first word (محمد).
    shown = unicodedata.normalize("NFKC", markup)
    assert shown.index("يلعلا") < shown.index("دمحم")


@pytest.fixture
def no_fonts(tmp_path):
    return FontSet.discover([tmp_path])


@pytest.fixture
def latin_fonts_only(tmp_path):
    source = pathlib.Path("/usr/share/fonts/truetype/dejavu")
    for name in (BASE.regular, BASE.bold, "DejaVuSansMono.ttf"):
        shutil.copy(source / name, tmp_path / name)
    return FontSet.discover([tmp_path])


def test_without_fonts_latin_falls_back_to_the_standard_fonts(no_fonts):
    assert no_fonts.standard
    pdf = render_request_pdf(make_packet(), "0" * 64, fonts=no_fonts)
    text = pdf_text(pdf)
    assert "Example Police Service <Cyber Unit>" in text
    assert "Helvetica" in _pdffonts(pdf)


def test_without_fonts_other_scripts_fail_naming_the_package(no_fonts, latin_fonts_only):
    greek = make_packet(request=make_request(persons=(Person("witness", NAMES["Greek"]),)))
    with pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        render_request_pdf(greek, "0" * 64, fonts=no_fonts)
    thai = make_packet(request=make_request(persons=(Person("witness", NAMES["Thai"]),)))
    with pytest.raises(FontMissingError, match=r"Thai .*fonts-noto-core"):
        render_request_pdf(thai, "0" * 64, fonts=latin_fonts_only)
    cjk = make_packet(request=make_request(persons=(Person("witness", NAMES["CJK"]),)))
    with pytest.raises(FontMissingError, match="fonts-wqy-zenhei"):
        render_request_pdf(cjk, "0" * 64, fonts=latin_fonts_only)
    # Greek needs nothing beyond DejaVu
    assert NAMES["Greek"] in pdf_text(render_request_pdf(greek, "0" * 64, fonts=latin_fonts_only))
