"""Bech32 / Bech32m segwit address decoding (BIP-173, BIP-350), from the reference code.

Adapted from Pieter Wuille's reference implementation (MIT, Copyright (c) 2017, 2020
Pieter Wuille). Vendored because the `bech32` package on PyPI predates BIP-350 (no bech32m)
and its successors are single-maintainer forks; the code is small and frozen by the BIPs.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    """The string is not a valid segwit address; the message says why."""


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data: list[int] | bytes, frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    ret: list[int] = []
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise Bech32Error("value out of range")
        acc = ((acc << frombits) | value) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise Bech32Error("invalid padding")
    return ret


def bech32_decode(bech: str) -> tuple[str, list[int], int]:
    """Split a Bech32/Bech32m string into (hrp, data without checksum, checksum constant).

    Raises Bech32Error for mixed case, bad characters, bad length or a wrong checksum.
    """
    if any(ord(x) < 33 or ord(x) > 126 for x in bech):
        raise Bech32Error("character out of range")
    if bech.lower() != bech and bech.upper() != bech:
        raise Bech32Error("mixed case")
    bech = bech.lower()
    pos = bech.rfind("1")
    if pos < 1 or pos + 7 > len(bech) or len(bech) > 90:
        raise Bech32Error("bad separator position or length")
    if not all(x in CHARSET for x in bech[pos + 1 :]):
        raise Bech32Error("character not in the bech32 alphabet")
    hrp = bech[:pos]
    data = [CHARSET.find(x) for x in bech[pos + 1 :]]
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (BECH32_CONST, BECH32M_CONST):
        raise Bech32Error("checksum does not match (bech32)")
    return hrp, data[:-6], const


def decode_segwit(hrp: str, addr: str) -> tuple[int, bytes]:
    """Decode a segwit address for `hrp` into (witness version, witness program).

    Enforces BIP-350: version 0 must use bech32, versions 1-16 bech32m.
    """
    hrpgot, data, const = bech32_decode(addr)
    if hrpgot != hrp:
        raise Bech32Error(f"prefix is {hrpgot!r}, expected {hrp!r}")
    if not data:
        raise Bech32Error("no witness version")
    witver = data[0]
    if witver > 16:
        raise Bech32Error("witness version above 16")
    program = bytes(_convertbits(data[1:], 5, 8, False))
    if len(program) < 2 or len(program) > 40:
        raise Bech32Error("witness program length out of range")
    if witver == 0 and len(program) not in (20, 32):
        raise Bech32Error("version 0 program must be 20 or 32 bytes")
    expected = BECH32_CONST if witver == 0 else BECH32M_CONST
    if const != expected:
        raise Bech32Error("checksum does not match (bech32 and bech32m mixed up)")
    return witver, program


def encode_segwit(hrp: str, witver: int, program: bytes) -> str:
    """Encode a segwit address (bech32 for version 0, bech32m above); checked by decoding."""
    const = BECH32_CONST if witver == 0 else BECH32M_CONST
    data = [witver, *_convertbits(program, 8, 5, True)]
    polymod = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    address = hrp + "1" + "".join(CHARSET[d] for d in data + checksum)
    decode_segwit(hrp, address)
    return address
