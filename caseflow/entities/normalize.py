"""Normalize and validate entity (selector) values: one function per kind, found through KINDS.

The canonical `value` of a Normalized is the key that makes an entity unique across CaseFlow.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import base58
import idna
import phonenumbers
from Crypto.Hash import keccak
from stdnum import iban as stdnum_iban
from stdnum import imei as stdnum_imei
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, ValidationError

from caseflow import jurisdictions
from caseflow.entities._bech32 import Bech32Error, decode_segwit
from caseflow.entities._monero import MoneroAddressError, decode_address
from caseflow.entities.errors import InvalidIdentifier

__all__ = [
    "KINDS",
    "InvalidIdentifier",
    "Normalized",
    "normalize",
    "normalize_account",
    "normalize_ad",
    "normalize_domain",
    "normalize_email",
    "normalize_iban",
    "normalize_imei",
    "normalize_ip",
    "normalize_jurisdiction",
    "normalize_organization",
    "normalize_person",
    "normalize_phone",
    "normalize_service_provider",
    "normalize_url",
    "normalize_wallet",
]

# Longest value we look at; anything longer is refused before parsing (parsers such as
# base58 are quadratic, and no real identifier is this long). Ad text has its own limit.
MAX_VALUE = 2048
MAX_AD_TEXT = 100_000


@dataclass(frozen=True)
class Normalized:
    """A validated entity value.

    `value` is the canonical key (unique per kind across the system); feeding it back to
    `normalize(kind, value)` returns the same value. `label` is for display. `attributes`
    holds derived facts (phone region, wallet network) and observation details that are not
    part of the identity (IP port and time, ad text); it is left out of the hash.
    `jurisdiction` is an ISO 3166-1 alpha-2 code where the value implies one.
    """

    kind: str
    value: str
    label: str
    attributes: dict[str, str] = field(default_factory=dict, hash=False)
    jurisdiction: str | None = None


Raw = Mapping[str, str] | str


def _fields(
    kind: str, raw: object, primary: str, allowed: set[str], *, dotted: bool = False
) -> dict[str, str]:
    """Turn `raw` (a string, meaning the primary field, or a mapping) into stripped strings.

    Empty and None values count as absent; ints are accepted for numeric fields (ports).
    Unknown keys are refused so that a typo in an API payload does not pass silently.
    """
    if isinstance(raw, str):
        items: Mapping[str, object] = {primary: raw}
    elif isinstance(raw, Mapping):
        items = raw
        unknown = sorted(str(k) for k in items if k not in allowed)
        if unknown:
            raise InvalidIdentifier(kind, f"unexpected field(s) {', '.join(unknown)}")
    else:
        raise InvalidIdentifier(kind, "must be text or a mapping of fields")
    out: dict[str, str] = {}
    for key, value in items.items():
        name = f"{kind}.{key}" if dotted or key != primary else kind
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise InvalidIdentifier(name, "must be text")
        limit = MAX_AD_TEXT if key == "text" else MAX_VALUE
        if len(value) > limit:
            raise InvalidIdentifier(name, f"is longer than {limit} characters")
        value = value.strip()
        if value:
            out[key] = value
    return out


def _require(kind: str, fields: Mapping[str, str], key: str, name: str | None = None) -> str:
    if key not in fields:
        raise InvalidIdentifier(name or kind, "is required")
    return fields[key]


def _no_space(name: str, text: str) -> str:
    if any(ch.isspace() for ch in text):
        raise InvalidIdentifier(name, "must not contain spaces")
    return text


def _utc(name: str, text: str) -> tuple[str, str]:
    """Parse an ISO 8601 time with an offset; return (UTC as ...Z, the original offset)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidIdentifier(name, "not an ISO 8601 date-time") from None
    offset = moment.utcoffset()
    if offset is None:
        raise InvalidIdentifier(name, "needs a UTC offset (e.g. Z or +01:00)")
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    utc = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return utc, f"{sign}{hours:02d}:{minutes:02d}"


def _jurisdiction_or_none(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return jurisdictions.canonical_code(code)
    except InvalidIdentifier:
        return None


# ---------------------------------------------------------------------------------- phone

# Ranges reserved for drama and documentation that libphonenumber may call invalid (it does
# for 07700 900xxx). Accepted so synthetic data works; marked fictional=true so a fictional
# number in real evidence stands out. (country code, national prefix, length, region, type).
FICTIONAL_RANGES: tuple[tuple[int, str, int, str, str], ...] = (
    (44, "7700900", 10, "GB", "mobile"),  # Ofcom 07700 900000-900999
    (44, "2079460", 10, "GB", "fixed_line"),  # 020 7946 0000-0999
    (44, "1134960", 10, "GB", "fixed_line"),  # 0113 496 0000-0999 (and the other cities)
    (44, "1144960", 10, "GB", "fixed_line"),
    (44, "1154960", 10, "GB", "fixed_line"),
    (44, "1164960", 10, "GB", "fixed_line"),
    (44, "1174960", 10, "GB", "fixed_line"),
    (44, "1184960", 10, "GB", "fixed_line"),
    (44, "1214960", 10, "GB", "fixed_line"),
    (44, "1314960", 10, "GB", "fixed_line"),
    (44, "1414960", 10, "GB", "fixed_line"),
    (44, "1514960", 10, "GB", "fixed_line"),
    (44, "1614960", 10, "GB", "fixed_line"),
    (44, "2920180", 10, "GB", "fixed_line"),  # 029 2018 0000-0999
    (44, "1632960", 10, "GB", "fixed_line"),  # 01632 960000-960999
    (44, "8081570", 10, "GB", "toll_free"),  # 0808 157 0000-0999
    (44, "9098790", 10, "GB", "premium_rate"),  # 0909 879 0000-0999
    (44, "3069990", 10, "GB", "uan"),  # 0306 999 0000-0999
    (33, "63998", 9, "FR", "mobile"),  # ARCEP 06 39 98 xx xx
)


def _fictional(number: phonenumbers.PhoneNumber) -> tuple[str, str] | None:
    national = str(number.national_number)
    for cc, prefix, length, region, kind in FICTIONAL_RANGES:
        if number.country_code == cc and len(national) == length and national.startswith(prefix):
            return region, kind
    # NANP: 555-0100 to 555-0199 are fictional in every area code.
    if number.country_code == 1 and len(national) == 10 and "5550100" <= national[3:] <= "5550199":
        return (phonenumbers.region_code_for_number(number) or "US"), "fixed_line_or_mobile"
    return None


def normalize_phone(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Phone number to E.164 (`+447700900123`), via phonenumbers.

    Rules: a number without `+` needs a region (`region` field, else `default_region`);
    invalid numbers are refused, except the reserved fictional ranges (FICTIONAL_RANGES,
    NANP 555-01xx), which are accepted and marked `fictional`. An extension is dropped from
    the value and kept in `attributes["extension"]`. The jurisdiction is the number's region.
    """
    fields = _fields("phone", raw, "number", {"number", "region"})
    text = _require("phone", fields, "number")
    region = (fields.get("region") or default_region or "").upper() or None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidIdentifier("phone.region", f"unknown region {region!r}")
    parsed = _phone(text, region)
    if isinstance(parsed, str):
        raise InvalidIdentifier("phone", parsed)
    value, label, attributes, jurisdiction = parsed
    return Normalized("phone", value, label, dict(attributes), jurisdiction)


def acceptable_number(number: phonenumbers.PhoneNumber) -> bool:
    """The phone rule in one place: a valid number, or one in a reserved fictional range."""
    return _fictional(number) is not None or phonenumbers.is_valid_number(number)


# Parsing and validating costs ~100 us; ads repeat numbers, and extraction tries many
# readings of each digit run, so results are cached (immutable tuples, or the error rule).
@functools.lru_cache(maxsize=32768)
def _phone(
    text: str, region: str | None
) -> tuple[str, str, tuple[tuple[str, str], ...], str | None] | str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return "needs a country code (+...) or a default region"
        return "not a phone number"
    attributes: dict[str, str] = {}
    fictional = _fictional(number)
    if fictional is not None:
        number_region, number_type = fictional
        attributes["fictional"] = "true"
    elif phonenumbers.is_valid_number(number):
        number_region = phonenumbers.region_code_for_number(number) or "001"
        number_type = _PHONE_TYPES.get(phonenumbers.number_type(number), "unknown")
    else:
        where = region or phonenumbers.region_code_for_country_code(number.country_code or 0)
        return f"not a valid number for region {where}"
    attributes["region"] = number_region
    attributes["type"] = number_type
    if number.extension:
        attributes["extension"] = number.extension
    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    label = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # Ascension (AC) and Tristan da Cunha (TA) are phone regions inside ISO's SH; 001 is
    # non-geographic (satellite, +800) and has no jurisdiction.
    iso = {"AC": "SH", "TA": "SH"}.get(number_region, number_region)
    return value, label.split(" ext.")[0], tuple(attributes.items()), _jurisdiction_or_none(iso)


_PHONE_TYPES = {
    getattr(phonenumbers.PhoneNumberType, name): name.lower()
    for name in (
        "FIXED_LINE",
        "MOBILE",
        "FIXED_LINE_OR_MOBILE",
        "TOLL_FREE",
        "PREMIUM_RATE",
        "SHARED_COST",
        "VOIP",
        "PERSONAL_NUMBER",
        "PAGER",
        "UAN",
        "VOICEMAIL",
    )
}


# ------------------------------------------------------------------------- email, url, domain

_LOCAL_PART = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")


@functools.lru_cache(maxsize=8192)
def _idna(text: str) -> tuple[str, str] | None:
    """(A-label, U-label) of a host name, or None; cached (IDNA costs ~100 us a host)."""
    try:
        ascii_host = idna.encode(text, uts46=True).decode("ascii")
        return ascii_host, idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError):
        return None


def _host(name: str, text: str) -> tuple[str, str]:
    """IDNA-encode a host name (UTS 46 mapping, IDNA 2008): return (A-label, U-label)."""
    text = text.strip().rstrip(".")
    if not text:
        raise InvalidIdentifier(name, "domain name is empty")
    hosts = _idna(text)
    if hosts is None:
        raise InvalidIdentifier(name, "not a valid domain name (IDNA)")
    ascii_host, unicode_host = hosts
    labels = ascii_host.split(".")
    if len(labels) < 2:
        raise InvalidIdentifier(name, "domain name needs a dot and a top-level domain")
    if labels[-1].isdigit():
        raise InvalidIdentifier(name, "is an IP address, not a domain name")
    return ascii_host, unicode_host


def normalize_email(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """E-mail address: `mailto:` and angle brackets dropped, lower-cased, domain IDNA-encoded.

    The whole address is lower-cased (providers treat local parts case-insensitively in
    practice); provider-specific folding (Gmail dots, `+tags`) is NOT applied, because it
    would merge addresses that other providers keep apart. Quoted local parts are refused.
    """
    fields = _fields("email", raw, "address", {"address"})
    text = _require("email", fields, "address")
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = _no_space("email", text.strip("<>"))
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidIdentifier("email", "needs the form name@domain")
    if len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        raise InvalidIdentifier("email", "the part before @ is not a valid mailbox name")
    ascii_domain, unicode_domain = _host("email", domain)
    value = f"{local.lower()}@{ascii_domain}"
    if len(value) > 254:
        raise InvalidIdentifier("email", "is longer than 254 characters")
    return Normalized(
        "email", value, f"{local.lower()}@{unicode_domain}", {"domain": ascii_domain}, None
    )


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _requote(text: str, safe: str) -> str:
    """Percent-encode what must be, upper-case escapes, decode escaped unreserved characters."""
    text = quote(text, safe=safe + "%")

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT.sub(fix, text)


def _url_parts(name: str, text: str) -> tuple[str, str, str, str]:
    """Return (scheme, A-label host for the value, U-label host for display, rest of URL)."""
    _no_space(name, text)
    if "://" not in text:
        # Ads write "www.example.com/x"; modern browsers go to https first.
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise InvalidIdentifier(name, "not a valid URL (bad host or port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidIdentifier(name, "only http and https URLs are accepted")
    if not host:
        raise InvalidIdentifier(name, "URL has no host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        ascii_host, unicode_host = _host(name, host)
    else:
        ascii_host = unicode_host = f"[{address}]" if address.version == 6 else str(address)
    netloc_port = "" if port is None or port == {"http": 80, "https": 443}[scheme] else f":{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    userinfo = f"{_requote(userinfo, safe=':!$&()*+,;=')}@" if userinfo else ""
    path = _requote(parts.path, safe="/:@!$&'()*+,;=") or "/"
    query = _requote(parts.query, safe="/?:@!$&'()*+,;=")
    rest = path + (f"?{query}" if query else "")
    return scheme, f"{userinfo}{ascii_host}{netloc_port}", f"{userinfo}{unicode_host}", rest


def normalize_url(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """URL: http(s) only; scheme and host lower-cased, host IDNA-encoded, default port and
    fragment dropped, empty path made "/", percent-escapes made canonical (RFC 3986 6.2.2).

    A URL without a scheme is taken as https. Query parameter order is kept (it can matter).
    """
    fields = _fields("url", raw, "url", {"url"})
    text = _require("url", fields, "url")
    scheme, netloc, display, rest = _url_parts("url", text)
    value = f"{scheme}://{netloc}{rest}"
    host = netloc.rpartition("@")[2]
    return Normalized(
        "url", value, f"{scheme}://{display}{rest}", {"scheme": scheme, "host": host}, None
    )


def normalize_domain(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Domain name: lower-cased IDNA A-label without trailing dot (`xn--bcher-kva.example`).

    A URL is accepted and reduced to its host; `www.` is kept (it is a different name).
    IP addresses are refused: they are the ip_address kind.
    """
    fields = _fields("domain", raw, "domain", {"domain"})
    text = _no_space("domain", _require("domain", fields, "domain"))
    if "/" in text or ":" in text:
        _, netloc, _, _ = _url_parts("domain", text)
        text = netloc.rpartition("@")[2].split(":")[0]
    if text.startswith("["):
        raise InvalidIdentifier("domain", "is an IP address, not a domain name")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise InvalidIdentifier("domain", "is an IP address, not a domain name")
    ascii_host, unicode_host = _host("domain", text)
    return Normalized("domain", ascii_host, unicode_host, {"unicode": unicode_host}, None)


# ------------------------------------------------------------------------------------- ip

_IP_WITH_PORT = re.compile(
    r"^\[(?P<v6>[^\]]+)\](?::(?P<port6>\d+))?$|^(?P<v4>[\d.]+):(?P<port4>\d+)$"
)


def normalize_ip(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """IP address (v4 or v6) in canonical compressed form, via stdlib ipaddress.

    An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) becomes the IPv4 address. The
    observation's source port (`port`, or `a.b.c.d:port` / `[v6]:port`) and time
    (`observed_at`, ISO 8601 with offset, stored as UTC plus the original offset) go in
    attributes, not in the value: the same address seen twice is one entity.
    """
    fields = _fields("ip_address", raw, "address", {"address", "port", "observed_at"})
    text = _no_space("ip_address", _require("ip_address", fields, "address"))
    port = fields.get("port")
    match = _IP_WITH_PORT.match(text)
    if match:
        text = match.group("v6") or match.group("v4")
        embedded = match.group("port6") or match.group("port4")
        if embedded and port and embedded != port:
            raise InvalidIdentifier("ip_address.port", "differs from the port in the address")
        port = port or embedded
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidIdentifier("ip_address", "not a valid IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    attributes = {"version": str(address.version), "is_global": str(address.is_global).lower()}
    if port is not None:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise InvalidIdentifier("ip_address.port", "must be a number from 1 to 65535")
        attributes["port"] = str(int(port))
    if "observed_at" in fields:
        utc, offset = _utc("ip_address.observed_at", fields["observed_at"])
        attributes["observed_at"] = utc
        attributes["observed_at_offset"] = offset
    value = str(address)
    return Normalized("ip_address", value, value, attributes, None)


# --------------------------------------------------------------------------------- wallet

CHAIN_ALIASES = {
    "bitcoin": "btc",
    "xbt": "btc",
    "ethereum": "eth",
    "ether": "eth",
    "tron": "trx",
    "monero": "xmr",
}
_CHAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,19}")
_ETH = re.compile(r"0[xX][0-9a-fA-F]{40}")
_BASE58_VERSIONS = {
    0x00: ("mainnet", "p2pkh"),
    0x05: ("mainnet", "p2sh"),
    0x6F: ("testnet", "p2pkh"),
    0xC4: ("testnet", "p2sh"),
}
_SEGWIT_HRPS = {"bc": "mainnet", "tb": "testnet"}


def eip55(address_hex: str) -> str:
    """Return the EIP-55 mixed-case checksum form of a 40-hex-digit address (no 0x)."""
    lower = address_hex.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
    return "0x" + "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def _bitcoin(address: str) -> tuple[str, dict[str, str]]:
    name = "wallet.address"
    prefix = address[:3].lower()
    if prefix in ("bc1", "tb1"):
        hrp = prefix[:2]
        try:
            version, program = decode_segwit(hrp, address)
        except Bech32Error as exc:
            if "checksum" in str(exc):
                raise InvalidIdentifier(name, f"Bitcoin address {exc}") from None
            raise InvalidIdentifier(name, f"not a valid Bitcoin bech32 address: {exc}") from None
        kind = {(0, 20): "p2wpkh", (0, 32): "p2wsh", (1, 32): "p2tr"}.get(
            (version, len(program)), f"segwit_v{version}"
        )
        return address.lower(), {"network": _SEGWIT_HRPS[hrp], "type": kind}
    if len(address) > 40:
        raise InvalidIdentifier(name, "too long for a Bitcoin address")
    try:
        payload = base58.b58decode_check(address)
    except ValueError as exc:
        if "checksum" in str(exc).lower():
            raise InvalidIdentifier(
                name, "Bitcoin address checksum does not match (base58)"
            ) from None
        raise InvalidIdentifier(name, "not a valid Bitcoin address (base58)") from None
    if len(payload) != 21 or payload[0] not in _BASE58_VERSIONS:
        raise InvalidIdentifier(name, "not a Bitcoin P2PKH or P2SH address (version byte)")
    if base58.b58encode_check(payload).decode("ascii") != address:
        raise InvalidIdentifier(name, "not in canonical base58 form")
    network, kind = _BASE58_VERSIONS[payload[0]]
    return address, {"network": network, "type": kind}


def _tron(address: str) -> tuple[str, dict[str, str]]:
    """TRON: base58check of 0x41 + 20-byte account id, written T + 33 characters."""
    name = "wallet.address"
    if not _TRON.fullmatch(address):
        raise InvalidIdentifier(name, "a TRON address is T and 33 base58 characters")
    try:
        payload = base58.b58decode_check(address)
    except ValueError:
        raise InvalidIdentifier(name, "TRON address checksum does not match (base58)") from None
    if len(payload) != 21 or payload[0] != 0x41:
        raise InvalidIdentifier(name, "not a TRON address (version byte 0x41)")
    return address, {"network": "mainnet"}


def _monero(address: str) -> tuple[str, dict[str, str]]:
    try:
        network, kind = decode_address(address)
    except MoneroAddressError as exc:
        raise InvalidIdentifier("wallet.address", f"Monero address {exc}") from None
    return address, {"network": network, "type": kind}


_TRON = re.compile(r"T[1-9A-HJ-NP-Za-km-z]{33}")
_MONERO = re.compile(r"[48][1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?")
# Chains whose addresses are checked, each by its own function: (canonical, attributes).
_CHECKED_CHAINS: dict[str, Callable[[str], tuple[str, dict[str, str]]]] = {
    "btc": lambda address: _bitcoin(address.split("?")[0]),  # BIP-21 parameters dropped
    "trx": _tron,
    "xmr": _monero,
}


def _guess_chain(address: str) -> str:
    if _ETH.fullmatch(address):
        return "eth"
    if address[:3].lower() in ("bc1", "tb1") or re.fullmatch(
        r"[123mn][1-9A-HJ-NP-Za-km-z]{24,39}", address
    ):
        return "btc"
    if _TRON.fullmatch(address):
        return "trx"
    if _MONERO.fullmatch(address):
        return "xmr"
    raise InvalidIdentifier(
        "wallet.chain",
        "not given, and the address is not a recognised Bitcoin, Ethereum, TRON or Monero one",
    )


def normalize_wallet(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Wallet address, value `<chain>:<address>`.

    `btc`: base58check P2PKH/P2SH (mainnet, testnet) or bech32/bech32m segwit (bc1, tb1;
    v0 bech32, v1+ bech32m), checksums verified; bech32 lower-cased. `eth`: 0x + 40 hex,
    an all-lower or all-upper address is accepted, a mixed-case one must match EIP-55; the
    value is lower-case. `trx` (alias `tron`): base58check with version byte 0x41. `xmr`
    (alias `monero`): Monero block base58 with its Keccak-256 checksum, standard,
    subaddress or integrated. Other chains are stored opaque (stripped, case kept,
    unchecked, `validated=false`). A string may be `chain:address`, a BIP-21 `bitcoin:` URI,
    or a bare BTC, ETH, TRON or Monero address.
    """
    fields = _fields("wallet", raw, "address", {"chain", "address"}, dotted=True)
    address = _require("wallet", fields, "address", "wallet.address")
    chain = fields.get("chain")
    if chain is None and isinstance(raw, str):
        head, sep, tail = address.partition(":")
        if sep and _CHAIN.fullmatch(head.lower()):
            chain, address = head, tail.strip()
    if chain is None:
        chain = _guess_chain(address)
    chain = CHAIN_ALIASES.get(chain.lower(), chain.lower())
    if not _CHAIN.fullmatch(chain):
        raise InvalidIdentifier("wallet.chain", "must be a short chain code such as btc or eth")
    _no_space("wallet.address", address)
    if not address:
        raise InvalidIdentifier("wallet.address", "is required")
    checked = _CHECKED_CHAINS.get(chain)
    if checked is not None:
        canonical, attributes = checked(address)
        return Normalized(
            "wallet", f"{chain}:{canonical}", canonical, {"chain": chain, **attributes}
        )
    if chain == "eth":
        if not _ETH.fullmatch(address):
            raise InvalidIdentifier("wallet.address", "an Ethereum address is 0x and 40 hex digits")
        digits = address[2:]
        checksummed = eip55(digits)
        if digits not in (digits.lower(), digits.upper()) and "0x" + digits != checksummed:
            raise InvalidIdentifier(
                "wallet.address", "Ethereum address checksum does not match (EIP-55)"
            )
        return Normalized("wallet", f"eth:0x{digits.lower()}", checksummed, {"chain": "eth"})
    return Normalized(
        "wallet", f"{chain}:{address}", address, {"chain": chain, "validated": "false"}
    )


# ---------------------------------------------------------------------------- iban, imei


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :] if text.lower().startswith(prefix) else text


def normalize_iban(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Bank account by IBAN (python-stdnum): value `iban:<compact upper-case IBAN>`.

    Check digits and the country's BBAN format are verified; the jurisdiction is the
    IBAN's country. The `iban:` prefix leaves room for other account schemes later.
    """
    fields = _fields("bank_account", raw, "iban", {"iban"})
    text = _strip_prefix(_require("bank_account", fields, "iban"), "iban:")
    try:
        compact = stdnum_iban.validate(text)
    except InvalidChecksum:
        raise InvalidIdentifier("bank_account", "IBAN check digits do not match") from None
    except ValidationError as exc:
        raise InvalidIdentifier("bank_account", f"not a valid IBAN ({exc})") from None
    country = compact[:2]
    return Normalized(
        "bank_account",
        f"iban:{compact}",
        stdnum_iban.format(compact),
        {"country": country},
        _jurisdiction_or_none(country),
    )


def normalize_imei(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Device by IMEI (python-stdnum): value `imei:<15 digits>`.

    A 15-digit IMEI must have a correct Luhn check digit. A 14-digit IMEI (no check digit)
    or a 16-digit IMEISV is reduced to its 14-digit body plus the computed check digit, so
    all three spellings of one handset give one entity; the IMEISV software version is
    kept in attributes.
    """
    fields = _fields("device", raw, "imei", {"imei"})
    text = _strip_prefix(_require("device", fields, "imei"), "imei:")
    try:
        digits = stdnum_imei.validate(text)
    except InvalidChecksum:
        raise InvalidIdentifier("device", "IMEI check digit does not match") from None
    except ValidationError as exc:
        raise InvalidIdentifier("device", f"not a valid IMEI ({exc})") from None
    body = digits[:14]
    canonical = body + luhn.calc_check_digit(body)
    attributes = {"tac": body[:8]}
    if len(digits) == 16:
        attributes["software_version"] = digits[14:]
    return Normalized("device", f"imei:{canonical}", stdnum_imei.format(canonical), attributes)


# -------------------------------------------------------------------------------- account

PLATFORM_ALIASES = {
    "twitter": "x",
    "fb": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "tg": "telegram",
    "snap": "snapchat",
    "wa": "whatsapp",
    "tt": "tiktok",
}

# Platforms whose handles are case-insensitive, with the characters they allow. Lengths are
# kept loose on purpose: old and collectible handles break the documented minimums.
HANDLE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "telegram": (re.compile(r"[a-z0-9_]{4,32}"), "letters, digits and _, 4-32 characters"),
    "instagram": (re.compile(r"[a-z0-9._]{1,30}"), "letters, digits, . and _, up to 30"),
    "x": (re.compile(r"[a-z0-9_]{1,15}"), "letters, digits and _, up to 15 characters"),
    "tiktok": (re.compile(r"[a-z0-9._]{2,24}"), "letters, digits, . and _, 2-24 characters"),
    "snapchat": (re.compile(r"[a-z][a-z0-9._-]{2,14}"), "a letter then letters, digits, . _ -"),
    "facebook": (re.compile(r"[a-z0-9.]{1,50}"), "letters, digits and ., up to 50"),
    "kik": (re.compile(r"[a-z0-9._]{2,32}"), "letters, digits, . and _, 2-32 characters"),
    "reddit": (re.compile(r"[a-z0-9_-]{3,20}"), "letters, digits, _ and -, 3-20 characters"),
    "signal": (
        re.compile(r"[a-z_][a-z0-9_]{2,31}(?:\.[0-9]{2,9})?"),
        "a phone number, or a username: letters, digits and _ then . and 2-9 digits",
    ),
    "onlyfans": (re.compile(r"[a-z0-9._-]{1,50}"), "letters, digits, . _ and -, up to 50"),
}
_PLATFORM_NAMES = {"whatsapp": "WhatsApp", "viber": "Viber", "signal": "Signal"}
_PLATFORM = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


def _platform(name: str, text: str) -> str:
    platform = text.strip().lower()
    platform = PLATFORM_ALIASES.get(platform, platform)
    if not _PLATFORM.fullmatch(platform):
        raise InvalidIdentifier(name, "must be a platform name such as telegram or example.com")
    return platform


# Messaging services that identify users by phone number. For WhatsApp and Viber the handle
# must be one; on the others a handle written as a number is one (Telegram and Signal
# usernames cannot start with a digit or +), so it is stored as E.164 like the phone itself.
PHONE_PLATFORMS = {"whatsapp", "viber"}
PHONE_OR_NAME_PLATFORMS = {"signal", "telegram", "wechat", "line"}
_PHONE_HANDLE = re.compile(r"\+?[\d\s().\-/]{6,30}")


def normalize_account(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Online account, value `<platform>:<handle>`; a string is read as `platform:handle`.

    The platform is lower-cased with aliases resolved (twitter -> x, tg -> telegram). A
    leading @ is dropped. Known case-insensitive platforms (HANDLE_RULES) lower-case and
    check the handle; WhatsApp and Viber handles are phone numbers in E.164 (with
    `default_region`), and so are Signal, Telegram, WeChat and LINE handles written as a
    number (`signal:07700 900123` and `signal:+447700900123` are one account); other
    platforms keep the handle's case (we cannot know they ignore it).
    """
    if isinstance(raw, str):
        head, sep, tail = raw.partition(":")
        if not sep:
            raise InvalidIdentifier("account", "give the account as platform:handle")
        raw = {"platform": head, "handle": tail}
    fields = _fields("account", raw, "handle", {"platform", "handle"}, dotted=True)
    platform = _platform(
        "account.platform", _require("account", fields, "platform", "account.platform")
    )
    handle = _require("account", fields, "handle", "account.handle").lstrip("@").strip()
    if platform in PHONE_PLATFORMS or (
        platform in PHONE_OR_NAME_PLATFORMS
        and _PHONE_HANDLE.fullmatch(handle)
        and sum(ch.isdigit() for ch in handle) >= 6
    ):
        try:
            phone = normalize_phone(handle, default_region=default_region)
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(
                "account.handle",
                f"{_PLATFORM_NAMES.get(platform, platform)} needs a phone number: {exc.rule}",
            ) from None
        return Normalized(
            "account",
            f"{platform}:{phone.value}",
            f"{phone.label} ({platform})",
            {"platform": platform, "handle": phone.value},
            phone.jurisdiction,
        )
    if platform in HANDLE_RULES:
        pattern, description = HANDLE_RULES[platform]
        handle = handle.lower()
        if not pattern.fullmatch(handle):
            raise InvalidIdentifier(
                "account.handle", f"not a valid {platform} handle ({description})"
            )
    else:
        _no_space("account.handle", handle)
        if not handle or len(handle) > 100:
            raise InvalidIdentifier("account.handle", "must be 1-100 characters")
    return Normalized(
        "account",
        f"{platform}:{handle}",
        f"@{handle} ({platform})",
        {"platform": platform, "handle": handle},
    )


# ------------------------------------------------------------------------------------- ad


def normalize_ad(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Online ad, value `<platform>:<id>` or, without an id, `<platform>:<normalized URL>`.

    The platform defaults to the URL's host (without `www.`). `posted_at` (ISO 8601 with
    offset) is stored as UTC plus the original offset; `text` (up to 100,000 characters),
    `url` and `title` go in attributes. A string is a URL or `platform:id-or-URL`.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if re.match(r"(?i)https?://", text):
            raw = {"url": text}
        else:
            head, sep, tail = text.partition(":")
            if not sep:
                raise InvalidIdentifier("ad", "give the ad as a URL or platform:id")
            tail = tail.strip()
            raw = {"platform": head, ("url" if "://" in tail else "id"): tail}
    allowed = {"platform", "url", "id", "posted_at", "text", "title"}
    fields = _fields("ad", raw, "id", allowed, dotted=True)
    attributes: dict[str, str] = {}
    url = None
    if "url" in fields:
        url = normalize_url(fields["url"])
        attributes["url"] = url.value
    if "platform" in fields:
        platform = _platform("ad.platform", fields["platform"])
    elif url is not None:
        host = url.attributes["host"]
        platform = host[4:] if host.startswith("www.") else host
    else:
        raise InvalidIdentifier("ad.platform", "is required when there is no URL")
    if "id" in fields:
        ad_id = _no_space("ad.id", fields["id"])
        value, label = f"{platform}:{ad_id}", f"{platform} ad {ad_id}"
    elif url is not None:
        value, label = f"{platform}:{url.value}", url.label
    else:
        raise InvalidIdentifier("ad", "needs an id or a URL")
    attributes["platform"] = platform
    if "posted_at" in fields:
        attributes["posted_at"], attributes["posted_at_offset"] = _utc(
            "ad.posted_at", fields["posted_at"]
        )
    for key in ("title", "text"):
        if key in fields:
            attributes[key] = fields[key]
    return Normalized("ad", value, label, attributes)


# ----------------------------------------------------------- person, organization, provider


def _name(name: str, text: str) -> str:
    """Trim, NFC-normalize and collapse whitespace; refuse control characters."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidIdentifier(name, "must not contain control characters")
    if len(text) > 200:
        raise InvalidIdentifier(name, "is longer than 200 characters")
    return text


def _ref(name: str, text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InvalidIdentifier(name, "reference must be a UUID") from None


def _party(kind: str, raw: Raw, extra: set[str]) -> tuple[str, dict[str, str]]:
    """Shared rules of person and organization: the value is a reference, not the name."""
    if isinstance(raw, str):
        try:
            return _ref(kind, raw.strip()), {}
        except InvalidIdentifier:
            raise InvalidIdentifier(
                kind,
                f"a bare value must be the {kind}'s reference (a UUID); give {{'name': ...}} "
                f"to create one. A {kind} is never merged with another by name",
            ) from None
    fields = _fields(kind, raw, "ref", {"name", "ref", *extra}, dotted=True)
    ref = _ref(f"{kind}.ref", fields["ref"]) if "ref" in fields else str(uuid.uuid4())
    attributes = {
        key: _name(f"{kind}.{key}", fields[key]) for key in sorted(fields) if key != "ref"
    }
    if "name" not in attributes:
        raise InvalidIdentifier(f"{kind}.name", "is required")
    attributes["name_key"] = attributes["name"].casefold()
    return ref, attributes


def normalize_person(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Person: value is a reference (UUID), never the name, so two "John Smith" stay two.

    Give `{"name": ..., "ref": ...}`; without `ref` a new UUID4 is made (a new person on
    every call). A bare string must be a reference. The cleaned name and its casefolded
    `name_key` (for look-up and for suggesting possible duplicates) are in attributes.
    """
    ref, attributes = _party("person", raw, set())
    return Normalized("person", ref, attributes.get("name", ref), attributes)


def normalize_organization(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Organization: same rules as a person (value is a UUID reference, not the name).

    Optional `country` (ISO code; becomes the jurisdiction) and `registration_number`.
    """
    raw_country = raw.get("country") if isinstance(raw, Mapping) else None
    ref, attributes = _party("organization", raw, {"country", "registration_number"})
    code = None
    if raw_country:
        try:
            code = jurisdictions.canonical_code(str(raw_country))
        except InvalidIdentifier as exc:
            raise InvalidIdentifier("organization.country", exc.rule) from None
        attributes["country"] = code
    return Normalized("organization", ref, attributes.get("name", ref), attributes, code)


PROVIDER_CATEGORIES = {"platform", "telecom", "vasp", "hosting", "email", "payment", "other"}
_CATEGORY_ALIASES = {"exchange": "vasp", "isp": "telecom"}


def provider_key(name: str) -> str:
    """The matching key of a provider name: NFKC, casefolded, punctuation other than & and +
    turned into spaces, whitespace collapsed ("Example Telecom Ltd." -> "example telecom ltd")."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(ch if ch.isalnum() or ch in "&+" else " " for ch in text)
    return " ".join(text.split())


def normalize_service_provider(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Service provider (platform, telecom, VASP/exchange, ...), value `provider_key(name)`.

    Unlike persons, providers ARE merged by name: they are a shared directory of legal
    addressees. Optional `category` (PROVIDER_CATEGORIES; "exchange" means vasp),
    `jurisdiction` (ISO code of its establishment) and `legal_contact` (free text: address,
    portal or e-mail for legal requests).
    """
    allowed = {"name", "category", "jurisdiction", "legal_contact"}
    fields = _fields("service_provider", raw, "name", allowed, dotted=True)
    name = _name(
        "service_provider.name",
        _require("service_provider", fields, "name", "service_provider.name"),
    )
    key = provider_key(name)
    if not key:
        raise InvalidIdentifier("service_provider.name", "needs at least one letter or digit")
    attributes = {"name": name}
    if "category" in fields:
        category = fields["category"].lower()
        category = _CATEGORY_ALIASES.get(category, category)
        if category not in PROVIDER_CATEGORIES:
            known = ", ".join(sorted(PROVIDER_CATEGORIES))
            raise InvalidIdentifier("service_provider.category", f"must be one of {known}")
        attributes["category"] = category
    code = None
    if "jurisdiction" in fields:
        try:
            code = jurisdictions.canonical_code(fields["jurisdiction"])
        except InvalidIdentifier as exc:
            raise InvalidIdentifier("service_provider.jurisdiction", exc.rule) from None
    if "legal_contact" in fields:
        attributes["legal_contact"] = fields["legal_contact"]
    return Normalized("service_provider", key, name, attributes, code)


def normalize_jurisdiction(raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Jurisdiction: ISO 3166-1 alpha-2 code (alpha-3, "UK" and "EL" accepted on input).

    The legal facts are NOT copied into attributes: read them from `caseflow.jurisdictions`
    so that a new data version applies to existing entities.
    """
    fields = _fields("jurisdiction", raw, "code", {"code"})
    code = jurisdictions.canonical_code(_require("jurisdiction", fields, "code"))
    name = jurisdictions.get(code).name
    return Normalized("jurisdiction", code, name, {"name": name}, code)


KINDS: dict[str, Callable[..., Normalized]] = {
    "account": normalize_account,
    "ad": normalize_ad,
    "bank_account": normalize_iban,
    "device": normalize_imei,
    "domain": normalize_domain,
    "email": normalize_email,
    "ip_address": normalize_ip,
    "jurisdiction": normalize_jurisdiction,
    "organization": normalize_organization,
    "person": normalize_person,
    "phone": normalize_phone,
    "service_provider": normalize_service_provider,
    "url": normalize_url,
    "wallet": normalize_wallet,
}


def normalize(kind: str, raw: Raw, *, default_region: str | None = None) -> Normalized:
    """Normalize and validate `raw` as an entity of `kind` (a key of KINDS).

    `raw` is the canonical string form (what `Normalized.value` holds) or a mapping of
    fields. `default_region` (ISO code, usually the case's) reads national phone numbers.
    Raises InvalidIdentifier, and nothing else, for any bad input.
    """
    function = KINDS.get(kind)
    if function is None:
        raise InvalidIdentifier("kind", f"unknown kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    return function(raw, default_region=default_region)
