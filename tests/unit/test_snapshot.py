"""The approval snapshot: a packet rendered from the snapshot is the packet that was approved."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from exports.model import ChartNode, LinkChart, Person
from exports.pdf import render_request_pdf
from exports.snapshot import SnapshotError, digest, freeze, thaw
from tests.unit.packet_factory import make_packet, make_request, png_bytes
from tests.unit.pdf_helpers import pdf_text


def test_freeze_thaw_round_trip_is_exact():
    data = make_packet(
        request=make_request(persons=(Person("victim", "محمد العلي", "2001-01-01", "FR"),))
    )
    blob = freeze(data)
    back = thaw(blob)
    assert freeze(back) == blob
    assert back.request == data.request
    assert back.chart == data.chart
    assert back.custody == data.custody
    assert [e.sha256 for e in back.evidence] == [e.sha256 for e in data.evidence]
    assert pdf_text(render_request_pdf(back, "0" * 64)) == pdf_text(
        render_request_pdf(data, "0" * 64)
    )


def test_the_digest_changes_with_anything_the_packet_shows():
    data = make_packet()
    base = digest(freeze(data))
    chart = LinkChart((*data.chart.nodes, ChartNode("late", "added@example.com", "email")), ())
    assert digest(freeze(replace(data, chart=chart))) != base
    assert digest(freeze(replace(data, request=replace(data.request, necessity="x")))) != base
    assert digest(freeze(data)) == base


def test_thaw_reattaches_evidence_bytes_by_hash():
    data = make_packet(items=2)
    blobs = {hashlib_hex(png_bytes(i)): png_bytes(i) for i in (1, 2)}
    back = thaw(freeze(data), lambda sha: lambda: io.BytesIO(blobs[sha]))
    assert [e.open_bytes().read() for e in back.evidence] == [png_bytes(1), png_bytes(2)]


def test_other_bytes_are_refused():
    with pytest.raises(SnapshotError):
        thaw(b'{"schema": "something/else"}')
    with pytest.raises(SnapshotError):
        thaw(b"\xff not json")


def hashlib_hex(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
