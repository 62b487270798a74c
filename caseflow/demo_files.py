"""Generated, fictional demo material: identifiers that pass checksum validation and small
evidence files (a PNG mock-up of an ad, a chat export), made in code from fixed seeds.

Nothing here is real material. Pure module: must not import flask.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import datetime, timedelta

import base58
from stdnum import iban as stdnum_iban

from caseflow.entities._bech32 import encode_segwit
from caseflow.entities.normalize import eip55


def _digest(seed: str) -> bytes:
    return hashlib.sha256(f"caseflow-demo:{seed}".encode()).digest()


def btc_bech32(seed: str) -> str:
    """A valid mainnet P2WPKH address (bc1q...) whose program is derived from `seed`."""
    return encode_segwit("bc", 0, _digest(seed)[:20])


def btc_p2pkh(seed: str) -> str:
    """A valid mainnet P2PKH address (1...) with a base58check checksum, derived from `seed`."""
    return base58.b58encode_check(b"\x00" + _digest(seed)[:20]).decode("ascii")


def eth_address(seed: str) -> str:
    """A valid EIP-55 checksummed Ethereum address derived from `seed`."""
    return eip55(_digest(seed)[-20:].hex())


def iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits for a (fictional) BBAN, in compact form."""
    check = stdnum_iban.calc_check_digits(f"{country}00{bban}")
    return stdnum_iban.validate(f"{country}{check}{bban}")


# --- a tiny PNG encoder and a 5x5 pixel font, enough for a labelled mock-up ------------------

_GLYPHS = {
    "A": ("01110", "10001", "11111", "10001", "10001"),
    "C": ("01111", "10000", "10000", "10000", "01111"),
    "D": ("11110", "10001", "10001", "10001", "11110"),
    "E": ("11111", "10000", "11110", "10000", "11111"),
    "F": ("11111", "10000", "11110", "10000", "10000"),
    "I": ("11111", "00100", "00100", "00100", "11111"),
    "L": ("10000", "10000", "10000", "10000", "11111"),
    "M": ("10001", "11011", "10101", "10001", "10001"),
    "N": ("10001", "11001", "10101", "10011", "10001"),
    "O": ("01110", "10001", "10001", "10001", "01110"),
    "T": ("11111", "00100", "00100", "00100", "00100"),
    "-": ("00000", "00000", "11111", "00000", "00000"),
    " ": ("00000", "00000", "00000", "00000", "00000"),
}

Colour = tuple[int, int, int]


def _png(width: int, height: int, rows: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ad_screenshot_png(label: str = "FICTIONAL DEMO AD", *, accent: Colour = (40, 90, 160)) -> bytes:
    """A 320x200 mock-up of a classified-ad page: header bar, photo placeholder, text lines
    and `label` in pixel letters. Deterministic for the same arguments."""
    width, height = 320, 200
    rows = [bytearray(b"\xf4\xf4\xf4" * width) for _ in range(height)]

    def fill(x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        for y in range(max(0, y0), min(height, y1)):
            for x in range(max(0, x0), min(width, x1)):
                rows[y][3 * x : 3 * x + 3] = bytes(colour)

    fill(0, 0, width, 28, accent)  # site header
    fill(16, 44, 128, 150, (200, 200, 200))  # photo placeholder (deliberately empty)
    fill(24, 52, 120, 142, (225, 225, 225))
    for n, line_width in enumerate((150, 130, 160, 90, 140)):
        fill(144, 48 + 18 * n, 144 + line_width, 56 + 18 * n, (90, 90, 90))
    fill(144, 150, 260, 166, (190, 40, 40))  # "contact" button
    x = 16
    for char in label.upper():
        glyph = _GLYPHS.get(char, _GLYPHS[" "])
        for gy, bits in enumerate(glyph):
            for gx, bit in enumerate(bits):
                if bit == "1":
                    fill(x + 2 * gx, 178 + 2 * gy, x + 2 * gx + 2, 180 + 2 * gy, (20, 20, 20))
        x += 12
    return _png(width, height, rows)


def chat_export(start: datetime, handles: tuple[str, str], wallet: str) -> bytes:
    """A plain-text export of a short, fictional, non-explicit chat between two handles."""
    a, b = handles
    lines = [
        ("ChatterBox data export (FICTIONAL DEMO - not real material)", None),
        (f"Conversation between @{a} and @{b}", None),
        ("", None),
        (a, "saw your post on the classifieds site, is the meeting still on"),
        (b, "yes, same place as last week"),
        (a, "how do I pay"),
        (b, f"crypto only, send to {wallet}"),
        (b, "delete this chat after"),
        (a, "ok"),
    ]
    out = []
    for n, (who, text) in enumerate(lines):
        if text is None:
            out.append(who)
            continue
        moment = (start + timedelta(minutes=4 * n)).strftime("%Y-%m-%d %H:%M:%SZ")
        out.append(f"[{moment}] @{who}: {text}")
    return ("\n".join(out) + "\n").encode("utf-8")
