"""Probable-match keys: a second, looser key per kind, so that values kept apart as
identities (rightly: another provider may treat them as two mailboxes) can still be shown
as a *possible* match, with the reason.

Two entities share a probable match when they have a key in common and are not the same
entity. Pure functions, one per kind, no I/O; the input is a canonical value from
normalize (Normalized.value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers


@dataclass(frozen=True)
class ProbableKey:
    """`key` is namespaced by what it compares ("mailbox:", "page:", "nsn:", "tel:",
    "handle:", "host:"); `reason` says, for an investigator, why two values sharing it may
    be the same."""

    key: str
    reason: str


GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# Query parameters added by ad, analytics and sharing tools: never part of what a page is.
TRACKING_PARAMETERS = {
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "igsh",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "si",
    "ref_src",
    "s_cid",
    "mkt_tok",
    "li_fat_id",
    "spm",
    "share_id",
    "trk",
}


def email_keys(value: str) -> list[ProbableKey]:
    """One mailbox key: the address without its +tag; for Gmail also without dots in the
    local part, and googlemail.com read as gmail.com."""
    local, _, domain = value.rpartition("@")
    base = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        return [
            ProbableKey(
                f"mailbox:{base.replace('.', '')}@gmail.com",
                "same Gmail mailbox: Gmail ignores dots and +tags in the name, and "
                "googlemail.com is gmail.com",
            )
        ]
    return [ProbableKey(f"mailbox:{base}@{domain}", "same mailbox once the +tag is ignored")]


def url_keys(value: str) -> list[ProbableKey]:
    """One page key: host without www., path without trailing slash, query without
    tracking parameters (utm_*, fbclid, gclid...) and in sorted order; scheme ignored."""
    parts = urlsplit(value)
    host = parts.netloc.lower()
    host = host[4:] if host.startswith("www.") else host
    path = parts.path.rstrip("/")
    query = [
        (name, val)
        for name, val in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
    ]
    key = f"page:{host}{path}" + (f"?{urlencode(sorted(query))}" if query else "")
    return [
        ProbableKey(
            key,
            "same page once the scheme, www., a trailing slash and tracking parameters "
            "(utm_..., fbclid...) are ignored",
        )
    ]


def phone_keys(value: str) -> list[ProbableKey]:
    """The number itself (for messaging accounts on it) and its national number without the
    country code (the same local number read with another country)."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return []
    return [
        ProbableKey(f"tel:{value}", "the same phone number, as a phone or a messaging account"),
        ProbableKey(
            f"nsn:{number.national_number}",
            "same national number under another country code (read with another region)",
        ),
    ]


def account_keys(value: str) -> list[ProbableKey]:
    """Messaging accounts on a phone number share the number's key; other handles share a
    key with the same handle on another platform."""
    _, _, handle = value.partition(":")
    if handle.startswith("+") and handle[1:].isdigit():
        return [
            ProbableKey(f"tel:{handle}", "the same phone number, as a phone or a messaging account")
        ]
    return [ProbableKey(f"handle:{handle.lower()}", "same handle on another platform")]


def domain_keys(value: str) -> list[ProbableKey]:
    host = value[4:] if value.startswith("www.") else value
    return [ProbableKey(f"host:{host}", "same domain with or without www.")]


KEYS: dict[str, Callable[[str], list[ProbableKey]]] = {
    "account": account_keys,
    "domain": domain_keys,
    "email": email_keys,
    "phone": phone_keys,
    "url": url_keys,
}


def probable_keys(kind: str, value: str) -> list[ProbableKey]:
    """The probable-match keys of a canonical value; none for kinds matched only exactly
    (wallets, IBANs, persons...)."""
    function = KEYS.get(kind)
    return function(value) if function else []
