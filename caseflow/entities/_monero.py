"""Monero's block base58 and address checks (CryptoNote): pure functions, no I/O.

Monero does not use Bitcoin's base58check: the payload is cut into 8-byte blocks, each
written as 11 base58 characters (a shorter last block uses the sizes in _ENCODED_SIZES),
and the last 4 bytes are a Keccak-256 checksum of the rest. The address payload is a varint
network tag, the public spend and view keys (32 bytes each) and, for an integrated address,
an 8-byte payment id.
"""

from __future__ import annotations

from Crypto.Hash import keccak

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_ENCODED_SIZES = (0, 2, 3, 5, 6, 7, 9, 10, 11)  # bytes in a block -> characters
_BLOCK = 8
_ENCODED_BLOCK = 11

# Network tag -> (network, address type). Tags are one varint byte for all of them.
NETWORK_TAGS = {
    18: ("mainnet", "standard"),
    19: ("mainnet", "integrated"),
    42: ("mainnet", "subaddress"),
    53: ("testnet", "standard"),
    54: ("testnet", "integrated"),
    63: ("testnet", "subaddress"),
    24: ("stagenet", "standard"),
    25: ("stagenet", "integrated"),
    36: ("stagenet", "subaddress"),
}
# Characters of a whole address: tag + 64 key bytes + checksum (69 bytes), +8 integrated.
STANDARD_LENGTH = 95
INTEGRATED_LENGTH = 106


class MoneroAddressError(ValueError):
    """Not a valid Monero address; the message says why."""


def b58decode(text: str) -> bytes:
    """Decode Monero block base58; raise MoneroAddressError on a bad character or block."""
    out = bytearray()
    for start in range(0, len(text), _ENCODED_BLOCK):
        block = text[start : start + _ENCODED_BLOCK]
        try:
            size = _ENCODED_SIZES.index(len(block))
        except ValueError:
            raise MoneroAddressError("has a length no Monero base58 text has") from None
        number = 0
        for ch in block:
            digit = _INDEX.get(ch)
            if digit is None:
                raise MoneroAddressError(f"has a character outside base58 ({ch!r})")
            number = number * 58 + digit
        if number >> (8 * size):
            raise MoneroAddressError("has a base58 block that overflows")
        out += number.to_bytes(size, "big")
    return bytes(out)


def b58encode(data: bytes) -> str:
    """Encode bytes in Monero block base58 (used to build test addresses)."""
    parts = []
    for start in range(0, len(data), _BLOCK):
        block = data[start : start + _BLOCK]
        number = int.from_bytes(block, "big")
        chars = []
        for _ in range(_ENCODED_SIZES[len(block)]):
            number, digit = divmod(number, 58)
            chars.append(ALPHABET[digit])
        parts.append("".join(reversed(chars)))
    return "".join(parts)


def checksum(payload: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=payload).digest()[:4]


def decode_address(address: str) -> tuple[str, str]:
    """Check a Monero address; return (network, type). Raise MoneroAddressError."""
    if len(address) not in (STANDARD_LENGTH, INTEGRATED_LENGTH):
        raise MoneroAddressError("a Monero address has 95 (or 106, integrated) characters")
    data = b58decode(address)
    payload, check = data[:-4], data[-4:]
    if checksum(payload) != check:
        raise MoneroAddressError("checksum does not match (Keccak-256)")
    tag = NETWORK_TAGS.get(payload[0])
    if tag is None:
        raise MoneroAddressError("has an unknown network tag")
    expected = 65 if tag[1] != "integrated" else 73
    if len(payload) != expected:
        raise MoneroAddressError(f"is the wrong length for a {tag[0]} {tag[1]} address")
    return tag


def encode_address(tag: int, keys: bytes) -> str:
    """Build an address from a network tag and 64 (or 72) bytes of keys: for tests."""
    payload = bytes([tag]) + keys
    return b58encode(payload + checksum(payload))
