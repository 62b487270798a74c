"""Extract candidate identifiers (phones, e-mails, URLs, wallets, handles) from the text of an
online ad, each normalized or carrying the error, for an investigator to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import phonenumbers

from caseflow.entities.normalize import (
    MAX_AD_TEXT,
    InvalidIdentifier,
    Normalized,
    normalize,
)


@dataclass(frozen=True)
class Candidate:
    """One identifier found in a text.

    `raw` is what was read (de-obfuscated for e-mails: `name [at] example.com` gives
    `name@example.com`); `span` is its (start, end) in the text. Exactly one of
    `normalized` and `error` is set: an error marks something that looks like an identifier
    but fails a rule (e.g. a wallet checksum), which is worth showing, not dropping.
    """

    kind: str
    raw: str
    normalized: Normalized | None
    error: str | None
    span: tuple[int, int]


@dataclass(frozen=True)
class _Hit:
    kind: str
    raw: str | Mapping[str, str]  # what normalize() takes
    shown: str
    span: tuple[int, int]
    keep_if_invalid: bool = True


# A URL starts with a scheme or www. and ends before whitespace or quoting characters.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`{}|\\^\[\]]+")
_URL_TRAILING = ".,;:!?*'\""

# Profile links that name an account. Path words that are site pages, not handles, are
# skipped (t.me/joinchat, instagram.com/p/...).
_PROFILE = re.compile(
    r"(?i)(?<![\w.])(?:https?://)?(?:www\.)?"
    r"(?P<host>t\.me|telegram\.me|wa\.me|instagram\.com|tiktok\.com/@|snapchat\.com/add|"
    r"x\.com|twitter\.com)/(?P<handle>\+?[A-Za-z0-9_.]+)"
)
_PROFILE_PLATFORMS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "wa.me": "whatsapp",
    "instagram.com": "instagram",
    "tiktok.com/@": "tiktok",
    "snapchat.com/add": "snapchat",
    "x.com": "x",
    "twitter.com": "x",
}
_SITE_PAGES = {"joinchat", "s", "share", "p", "reel", "reels", "explore", "home", "intent", "i"}

# E-mails, including the common "[at]" / "(dot)" obfuscations.
_AT = r"(?:@|\s*[\[({]\s*at\s*[\])}]\s*)"
_DOT = r"(?:\.|\s*[\[({]\s*dot\s*[\])}]\s*)"
_EMAIL = re.compile(
    rf"(?i)(?<![\w.+-])(?P<local>[\w.+-]+){_AT}(?P<domain>[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,63}})\b"
)
_DOT_SEP = re.compile(rf"(?i){_DOT}")

# Wallets. Base58 look-alikes that fail the checksum are dropped (ordinary words match the
# pattern); bech32 and 0x addresses are distinctive, so a failure is shown with its error.
_ETH = re.compile(r"(?<![0-9A-Za-z])0[xX][0-9a-fA-F]{40}(?![0-9A-Za-z])")
_BECH32 = re.compile(r"(?i)(?<![0-9a-z])(?:bc|tb)1[02-9ac-hj-np-z]{6,87}(?![0-9a-z])")
_BASE58 = re.compile(r"(?<![0-9A-Za-z])[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])")

# Handles: "telegram: name", "snap - name", "kik @name"; "whatsapp: +44 ..." takes a number.
_SEPARATOR = r"(?:\s*[:=\-]\s*@?|\s+@)"
_LABELLED = re.compile(
    r"(?i)\b(?P<label>telegram|tg|snapchat|snap|instagram|insta|ig|kik|wickr|tiktok|twitter|"
    rf"threema|wechat)\b{_SEPARATOR}(?P<handle>[A-Za-z0-9_][A-Za-z0-9_.-]{{0,62}}[A-Za-z0-9_])"
)
_LABELLED_NUMBER = re.compile(
    rf"(?i)\b(?P<label>whatsapp|wa|signal|viber)\b{_SEPARATOR}(?P<handle>\+?\d[\d ().-]{{4,18}}\d)"
)
_BARE_HANDLE = re.compile(
    r"(?<![\w.@/+-])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,62}[A-Za-z0-9_])?)"
)


def _urls(text: str) -> Iterator[_Hit]:
    for match in _URL.finditer(text):
        url = match.group()
        # Trailing punctuation belongs to the sentence, and ")" only when unbalanced.
        while url and (
            url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))
        ):
            url = url[:-1]
        start = match.start()
        yield _Hit("url", url, url, (start, start + len(url)))


def _profiles(text: str) -> Iterator[_Hit]:
    for match in _PROFILE.finditer(text):
        platform = _PROFILE_PLATFORMS[match.group("host").lower()]
        handle = match.group("handle").rstrip(".")
        if handle.lower() in _SITE_PAGES:
            continue
        span = (match.start(), match.start("handle") + len(handle))
        if platform == "whatsapp":
            digits = handle.lstrip("+")
            if not digits.isdigit():
                continue
            # wa.me numbers are international without the +, so they also name a phone.
            digit_span = (match.start("handle"), match.start("handle") + len(handle))
            yield _Hit("phone", f"+{digits}", handle, digit_span)
            handle = f"+{digits}"
        yield _Hit(
            "account", {"platform": platform, "handle": handle}, text[span[0] : span[1]], span
        )


def _emails(text: str) -> Iterator[_Hit]:
    for match in _EMAIL.finditer(text):
        domain = _DOT_SEP.sub(".", match.group("domain"))
        address = f"{match.group('local')}@{domain}"
        yield _Hit("email", address, address, match.span())


def _wallets(text: str) -> Iterator[_Hit]:
    for pattern, keep in ((_ETH, True), (_BECH32, True), (_BASE58, False)):
        for match in pattern.finditer(text):
            yield _Hit("wallet", match.group(), match.group(), match.span(), keep_if_invalid=keep)


def _phones(text: str, region: str | None) -> Iterator[_Hit]:
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region or "ZZ", leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in matcher:
        raw = match.raw_string
        # Digits glued to a word ("ref1234567890x") are not a phone number written in an ad.
        around = text[max(match.start - 1, 0) : match.start] + text[match.end : match.end + 1]
        if any(ch.isalnum() for ch in around):
            continue
        # An invalid number is worth showing only if it is written like one (+44..., 0...,
        # (202)...); otherwise ad ids and prices would flood the list.
        keep = raw[:1] in "+0("
        yield _Hit("phone", raw, raw, (match.start, match.end), keep_if_invalid=keep)


def _labelled_handles(text: str) -> Iterator[_Hit]:
    for pattern in (_LABELLED, _LABELLED_NUMBER):
        for match in pattern.finditer(text):
            span = (match.start(), match.end())
            raw = {"platform": match.group("label"), "handle": match.group("handle")}
            yield _Hit("account", raw, match.group(), span)


def _bare_handles(text: str, platform: str | None) -> Iterator[_Hit]:
    for match in _BARE_HANDLE.finditer(text):
        handle = match.group("handle")
        raw = {"platform": platform or "", "handle": handle}
        yield _Hit("account", raw, f"@{handle}", match.span())


class _Coverage:
    """Marks the characters covered by some spans; answers "does this span touch them?"."""

    def __init__(self, size: int) -> None:
        self._covered = bytearray(size)

    def add(self, span: tuple[int, int]) -> None:
        self._covered[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def touches(self, span: tuple[int, int]) -> bool:
        return any(self._covered[span[0] : span[1]])


def extract_identifiers(
    text: str, default_region: str | None, *, platform: str | None = None
) -> list[Candidate]:
    """Find identifiers in `text`, normalize each, and return them in order of appearance.

    Phones are read with `default_region` (the case's region; None reads only +numbers).
    Bare `@handles` get `platform` (the ad's platform) or, without one, an error asking
    for it. Phones and bare handles inside a URL or e-mail are not reported separately;
    wallets are (an explorer link names a wallet). Candidates are de-duplicated by (kind,
    normalized value), failed ones by (kind, raw). Raises InvalidIdentifier for a text
    over MAX_AD_TEXT characters.
    """
    if len(text) > MAX_AD_TEXT:
        raise InvalidIdentifier("ad.text", f"is longer than {MAX_AD_TEXT} characters")
    hits: list[_Hit] = [*_urls(text), *_emails(text), *_profiles(text)]
    inside = _Coverage(len(text))  # phones and bare handles there are not separate
    for hit in hits:
        inside.add(hit.span)
    wallets = list(_wallets(text))
    hits += wallets
    phone_free = _Coverage(len(text))
    for hit in wallets:
        phone_free.add(hit.span)
    hits += [
        hit
        for hit in _phones(text, default_region)
        if not inside.touches(hit.span) and not phone_free.touches(hit.span)
    ]
    labelled = list(_labelled_handles(text))
    for hit in labelled:
        inside.add(hit.span)
    hits += labelled
    hits += [hit for hit in _bare_handles(text, platform) if not inside.touches(hit.span)]

    order = {"url": 0, "account": 1, "email": 2, "phone": 3, "wallet": 4}
    hits.sort(key=lambda hit: (hit.span[0], order[hit.kind]))
    read: set[tuple[str, str]] = set()  # the same text is normalized once
    seen: set[tuple[str, str]] = set()
    result: list[Candidate] = []
    for hit in hits:
        if (hit.kind, hit.shown) in read:
            continue
        read.add((hit.kind, hit.shown))
        try:
            normalized = normalize(hit.kind, hit.raw, default_region=default_region)
            error = None
            key = (hit.kind, normalized.value)
        except InvalidIdentifier as exc:
            if not hit.keep_if_invalid:
                continue
            normalized, error = None, str(exc)
            if hit.kind == "account" and exc.field == "account.platform" and not platform:
                error = "account.platform: not known for a bare @handle; choose the platform"
            key = (hit.kind, f"raw:{hit.shown}")
        if key in seen:
            continue
        seen.add(key)
        result.append(Candidate(hit.kind, hit.shown, normalized, error, hit.span))
    return result
