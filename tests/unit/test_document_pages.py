"""Render the first pages of each instrument's document as PNG (pdftoppm) into
test-artifacts/documents/, for people to look at; the test checks each page has ink."""

from __future__ import annotations

import pathlib
import struct
import subprocess
import zlib

import pytest

from exports.model import Instrument, Person
from exports.pdf import render_request_pdf
from tests.unit.packet_factory import make_packet, make_request
from tests.unit.test_documents import GOLDEN, golden_request

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def _ink_ratio(png: bytes) -> float:
    """Share of non-white pixels in an 8-bit RGB PNG (as pdftoppm writes them)."""
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour) == (8, 2)
    data, pos = b"", 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = width * 3 + 1
    inked = 0
    prev = bytearray(width * 3)
    for y in range(height):
        line = bytearray(raw[y * stride + 1 : (y + 1) * stride])
        kind = raw[y * stride]
        for i in range(len(line)):  # undo PNG filters (pdftoppm uses several)
            left = line[i - 3] if i >= 3 else 0
            up = prev[i]
            ul = prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else ul
                line[i] = (line[i] + pred) & 255
        inked += sum(1 for x in range(0, len(line), 3) if min(line[x : x + 3]) < 200)
        prev = line
    return inked / (width * height)


@pytest.mark.parametrize("code", sorted(GOLDEN))
def test_first_pages_render_as_png(code, tmp_path):
    req = golden_request(code)
    if code == "EIO":
        req = make_request(
            instrument=Instrument("EIO", "EIO", "Directive 2014/41/EU"),
            persons=(
                Person("suspect", "Σωκράτης Παπαδόπουλος", "1990-01-02", "GR"),
                Person("witness", "Иван Петров"),
                Person("victim", "محمد العلي", other="Rue 12"),
                Person("suspect", "สมชาย ใจดี กิ่ง"),
                Person("third party", "王小明 / 山田太郎 / 김민준"),
            ),
        )
    pdf = tmp_path / f"{code}.pdf"
    pdf.write_bytes(render_request_pdf(make_packet(request=req), "0" * 64))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{code}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / code)],
        check=True,
    )
    pages = sorted(ARTIFACTS.glob(f"{code}-*.png"))
    assert len(pages) == 2
    for page in pages:
        assert 0.01 < _ink_ratio(page.read_bytes()) < 0.5, page.name
