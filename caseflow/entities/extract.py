"""Extract candidate identifiers (phones, e-mails, URLs, accounts, wallets, IBANs) from the
text of an online ad, each normalized or carrying the error, for an investigator to confirm.

Ads hide identifiers on purpose, so the finders here expect it (textfold, phonescan,
platforms, netaddr) and every value is then validated by its normalize function. A value
that is probably but not certainly right is offered with `check` saying why; numbers that
are prices, ages, hours, dates, ad ids or parts of other identifiers are never offered.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from caseflow.entities import netaddr, platforms
from caseflow.entities.adattributes import AdAttributes, ad_attributes
from caseflow.entities.normalize import (
    MAX_AD_TEXT,
    InvalidIdentifier,
    Normalized,
    normalize,
)
from caseflow.entities.phonescan import Coverage, PhoneFind, Regions, scan_phones
from caseflow.entities.textfold import finditer_in, fold, spelled_numbers, windows


@dataclass(frozen=True)
class Candidate:
    """One identifier found in a text.

    `raw` is what was read (de-obfuscated: `name [at] example.com` gives
    `name@example.com`); `span` is its (start, end) in the text. Exactly one of
    `normalized` and `error` is set: an error marks something that looks like an identifier
    but fails a rule (e.g. a wallet checksum), which is worth showing, not dropping.
    `check` is set when the value is probable but not certain (read in another region than
    the ad's, found only by the stock phone matcher, "at"/"dot" written as words...): it
    says why, and the candidate is offered for a human to check, not ticked by default.
    `how` lists the obfuscations undone to read it ("spelled", "look-alike letters", ...).
    """

    kind: str
    raw: str
    normalized: Normalized | None
    error: str | None
    span: tuple[int, int]
    check: str | None = None
    how: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdReading:
    """Everything read from an ad: identifier candidates and the ad's attributes."""

    candidates: list[Candidate]
    attributes: AdAttributes
    regions: Regions


@dataclass(frozen=True)
class _Hit:
    kind: str
    raw: str | Mapping[str, str]  # what normalize() takes
    shown: str
    span: tuple[int, int]
    keep_if_invalid: bool = True
    check: str | None = None
    how: tuple[str, ...] = ()
    region: str | None = None
    error: str | None = None  # already known to fail (digits written like a phone)


# ------------------------------------------------------------------------------ wallets

_B58 = "1-9A-HJ-NP-Za-km-z"
_ETH = re.compile(r"(?<![0-9A-Za-z])0[xX][0-9a-fA-F]{40}(?![0-9A-Za-z])")
_BECH32 = re.compile(r"(?i)(?<![0-9a-z])(?:bc|tb)1[02-9ac-hj-np-z]{6,87}(?![0-9a-z])")
_BASE58 = re.compile(rf"(?<![0-9A-Za-z])[13mn2][{_B58}]{{25,34}}(?![0-9A-Za-z])")
_TRON = re.compile(rf"(?<![0-9A-Za-z])T[{_B58}]{{33}}(?![0-9A-Za-z])")
_MONERO = re.compile(rf"(?<![0-9A-Za-z])[48][{_B58}]{{94}}(?:[{_B58}]{{11}})?(?![0-9A-Za-z])")
_CHAIN_LABEL = re.compile(
    r"(?i)(?:\b(?P<chain>btc|bitcoin|eth|ethereum|erc-?20|trx|tron|trc-?20|usdt|xmr|monero)"
    r"\b\s?(?:address|wallet|addr)?\s?[:=\-]?\s?)$"
)
_CHAINS = {"erc20": "eth", "erc-20": "eth", "trc20": "trx", "trc-20": "trx", "usdt": None}


# Wallets and transaction hashes are long runs of letters and digits: those runs are found
# in one pass, then each is matched against the address forms (few runs per ad).
_LONG_TOKEN = re.compile(r"[0-9A-Za-z]{14,}+")
_TX_HASH = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64}")


def _wallets(folded: str) -> Iterator[_Hit]:
    for token in _LONG_TOKEN.finditer(folded):
        address = token.group()
        for pattern, chain, keep in (
            (_ETH, "eth", True),
            (_BECH32, "btc", True),
            (_BASE58, "btc", False),
            (_TRON, "trx", None),
            (_MONERO, "xmr", True),
        ):
            if not pattern.fullmatch(address):
                continue
            label = _CHAIN_LABEL.search(folded, max(0, token.start() - 30), token.start())
            named = label.group("chain").lower() if label else None
            if named in _CHAINS:
                named = _CHAINS[named]
            # Base58 look-alikes failing their checksum are dropped (ordinary words match
            # the pattern) unless a chain name stands before them.
            keep_invalid = keep if keep is not None else named is not None
            if keep is False and named is not None:
                keep_invalid = True
            yield _Hit(
                "wallet",
                {"chain": chain, "address": address},
                address,
                token.span(),
                keep_if_invalid=keep_invalid,
            )
            break


def _tx_hashes(folded: str) -> list[tuple[int, int]]:
    """Spans of transaction hashes (64 hex digits): never identifiers, never phones."""
    return [t.span() for t in _LONG_TOKEN.finditer(folded) if _TX_HASH.fullmatch(t.group())]


# --------------------------------------------------------------------------------- IBAN

# Capitals first (a cheap scan), the boundary checked after them; lower-case IBANs are read
# only after an "IBAN" label.
_IBAN_BODY = r"\d{2}(?:[ \-]?[A-Z0-9]{1,4}){2,8}(?![A-Za-z0-9])"
_IBAN = re.compile(rf"[A-Z]{{2}}(?<![A-Za-z0-9][A-Z]{{2}}){_IBAN_BODY}")
_IBAN_ANY_CASE = re.compile(rf"(?i)[A-Z]{{2}}(?<![A-Za-z0-9][A-Z]{{2}}){_IBAN_BODY}")
_IBAN_MARK = re.compile(r"(?i)\biban\b")
_IBAN_LABEL = re.compile(r"(?i)\b(?:iban|rib|bank|banque|banco|cuenta|account)\b[^\n]{0,12}$")


def _ibans(folded: str) -> Iterator[_Hit]:
    found = {m.start(): m for m in _IBAN.finditer(folded)}
    for match in finditer_in(_IBAN_ANY_CASE, folded, windows(folded, _IBAN_MARK, 0, 40)):
        found.setdefault(match.start(), match)
    for match in sorted(found.values(), key=lambda m: m.start()):
        text = match.group()
        parts = re.split(r"[ \-]", text)
        for k in range(len(parts), 0, -1):  # the longest prefix that is a valid IBAN
            compact = "".join(parts[:k])
            if len(compact) < 15:  # the shortest IBANs (Norway) have 15 characters
                break
            try:
                stdnum_iban.validate(compact)
            except StdnumError:
                continue
            end = match.start() + len(_prefix_text(text, k))
            yield _Hit(
                "bank_account", compact.upper(), folded[match.start() : end], (match.start(), end)
            )
            break
        else:
            if _IBAN_LABEL.search(folded, max(0, match.start() - 25), match.start()):
                yield _Hit("bank_account", re.sub(r"[ \-]", "", text), text, match.span())


def _prefix_text(text: str, groups: int) -> str:
    """The leading `groups` groups of `text`, with their separators."""
    parts = re.split(r"([ \-])", text)
    return "".join(parts[: 2 * groups - 1])


# ------------------------------------------------------------------------------ regions

_SECOND_LEVEL = re.compile(r"\.(?:co|com|org|net|gob|gov|ac)\.([a-z]{2})$")


def site_region(site: str | None) -> str | None:
    """The country of an ad site from its country-code domain (example.co.uk -> GB)."""
    if not site:
        return None
    host = site if "://" not in site else (urlsplit(site).hostname or "")
    host = host.lower().rstrip(".").split("/")[0]
    match = _SECOND_LEVEL.search(host)
    code = match.group(1) if match else host.rpartition(".")[2]
    code = {"uk": "gb"}.get(code, code).upper()
    return code if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS else None


# --------------------------------------------------------------------------- extraction


def read_ad(
    text: str,
    default_region: str | None,
    *,
    platform: str | None = None,
    case_regions: Sequence[str] = (),
    site: str | None = None,
) -> AdReading:
    """Read an ad: identifier candidates (in order of appearance) and its attributes.

    National phone numbers are read first in the ad's own region (its site's country
    domain, then countries of the places it names), then in the case's jurisdictions
    (`default_region` first, then `case_regions`); a number valid only in a later region is
    offered with `check`. Bare `@handles` get `platform` (the ad's platform) or, without
    one, an error asking for it. Identifiers inside a URL or e-mail are not reported
    separately; wallets are (an explorer link names a wallet). Candidates are de-duplicated
    by (kind, normalized value), failed ones by (kind, raw). Raises InvalidIdentifier for a
    text over MAX_AD_TEXT characters.
    """
    if len(text) > MAX_AD_TEXT:
        raise InvalidIdentifier("ad.text", f"is longer than {MAX_AD_TEXT} characters")
    folded = fold(text)
    attributes = ad_attributes(text, folded=folded)
    ad_regions = [r for r in (site_region(site), *attributes.regions()) if r]
    case = [r for r in (default_region, *case_regions) if r]
    regions = Regions.build(ad_regions, case)
    hits = _find(text, folded, attributes, regions, platform)
    return AdReading(_normalize(hits, regions, platform), attributes, regions)


def extract_identifiers(
    text: str,
    default_region: str | None,
    *,
    platform: str | None = None,
    case_regions: Sequence[str] = (),
    site: str | None = None,
) -> list[Candidate]:
    """The identifier candidates of `read_ad` (see there)."""
    return read_ad(
        text, default_region, platform=platform, case_regions=case_regions, site=site
    ).candidates


_BARE_HANDLE = re.compile(
    r"(?<![\w.@/+-])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,62}[A-Za-z0-9_])?)"
)


def _find(
    text: str, folded: str, attributes: AdAttributes, regions: Regions, platform: str | None
) -> list[_Hit]:
    hits: list[_Hit] = []
    taken = Coverage(len(text))  # characters already part of an identifier
    emails = netaddr.emails(folded)
    for found in emails:
        hits.append(
            _Hit("email", found.value, found.value, found.span, True, found.check, found.how)
        )
        taken.add(found.span)
    profiles = platforms.profiles(folded)
    for profile in profiles:
        if taken.touches(profile.span):
            continue
        handle = profile.handle
        if profile.platform == "whatsapp":
            digits = handle.lstrip("+")
            if not digits.isdigit():
                continue
            # wa.me numbers are international without the +, so they also name a phone.
            hits.append(_Hit("phone", f"+{digits}", handle, profile.handle_span))
            handle = f"+{digits}"
        shown = text[profile.span[0] : profile.span[1]]
        hits.append(
            _Hit("account", {"platform": profile.platform, "handle": handle}, shown, profile.span)
        )
        taken.add(profile.span)
    for found in netaddr.urls(folded):
        if taken.touches(found.span):
            continue
        hits.append(_Hit("url", found.value, found.value, found.span, True, found.check, found.how))
        taken.add(found.span)
    for hit in (*_wallets(folded), *_ibans(folded)):
        hits.append(hit)
        taken.add(hit.span)
    for span in _tx_hashes(folded):
        taken.add(span)

    decoys = Coverage(len(text))
    for span in attributes.decoys:
        decoys.add(span)
    phones, errors = scan_phones(
        text, folded, spelled_numbers(folded), regions, taken=taken, decoys=decoys
    )
    phones += _second_opinion(text, folded, regions, taken, decoys, phones)
    for phone in phones:
        hits.append(
            _Hit(
                "phone",
                phone.value,
                text[phone.span[0] : phone.span[1]],
                phone.span,
                True,
                phone.check,
                phone.how,
                phone.region,
            )
        )
    for error in errors:
        raw = text[error.span[0] : error.span[1]]
        hits.append(_Hit("phone", raw, raw, error.span, error=error.error))

    labels = platforms.labels(folded)
    named = platforms.handles(folded, labels)
    named += platforms.handles_before(folded, labels, named)
    hits += _phone_accounts(folded, labels, phones, {h.span[0] for h in named})
    labelled = Coverage(len(text))
    for named_handle in named:
        end = named_handle.span[1]
        if taken.touches((end - len(named_handle.handle), end)):
            continue
        account = {"platform": named_handle.platform, "handle": named_handle.handle}
        spelled = text[named_handle.span[0] : end]
        hits.append(_Hit("account", account, spelled, named_handle.span))
        labelled.add(named_handle.span)
    for match in _BARE_HANDLE.finditer(folded):
        if taken.touches(match.span()) or labelled.touches(match.span()):
            continue
        handle = match.group("handle")
        bare = {"platform": platform or "", "handle": handle}
        hits.append(_Hit("account", bare, f"@{handle}", match.span()))
    return hits


# Between a phone number and a platform named after it: "07700 900123 (WhatsApp only)".
_AFTER_PHONE = re.compile(
    r"(?i)[ \t(\[\-,:/\x00]*(?:(?:on|via|por|sur|en|par|also|aussi|tambi[eé]n|and|et|y|&|\+|/|"
    r"only|solo|seulement|uniquement|just)[ \t(\[/]*)*"
)


def _phone_accounts(
    folded: str,
    labels: list[platforms.Label],
    phones: list[PhoneFind],
    with_handle: set[int],
) -> list[_Hit]:
    """Messaging accounts whose handle is a phone number written next to the platform's
    name: "WhatsApp +44...", "WA: 07700...", "WhatsApp/Telegram: ...", "07700... (WhatsApp)".
    """
    by_start = {p.span[0]: p for p in phones}
    label_at = {label.span[0]: label for label in labels}
    out: list[_Hit] = []
    target: dict[int, PhoneFind | None] = {}
    for label in sorted(labels, key=lambda lab: -lab.span[0]):  # chains resolve right to left
        phone = by_start.get(label.after)
        if phone is None and label.after in label_at:
            phone = target.get(label.after)
        target[label.span[0]] = phone
    for label in labels:
        if label.platform not in platforms.PHONE_LABELS:
            continue
        phone = target.get(label.span[0])
        if phone is None:
            # The name after the number: the number ends where the separators before it
            # start, and the name is not itself followed by another number.
            for candidate in phones:
                gap = folded[candidate.span[1] : label.span[0]]
                if (
                    candidate.span[1] <= label.span[0]
                    and len(gap) <= 16
                    and _AFTER_PHONE.fullmatch(gap)
                    and by_start.get(label.after) is None
                    and label.span[0] not in with_handle
                    and not label.strong  # "WA: ..." names what follows it
                ):
                    phone = candidate
                    break
        if phone is None:
            continue
        raw = {"platform": label.platform, "handle": phone.value}
        start, end = min(label.span[0], phone.span[0]), max(label.span[1], phone.span[1])
        out.append(
            _Hit("account", raw, folded[start:end], (start, end), True, phone.check, phone.how)
        )
    return out


_DIGIT_STRETCH = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")


def _second_opinion(
    text: str,
    folded: str,
    regions: Regions,
    taken: Coverage,
    decoys: Coverage,
    phones: list[PhoneFind],
) -> list[PhoneFind]:
    """The stock phonenumbers matcher, run on digit stretches our scanner left unexplained;
    what it finds there is offered for checking."""
    found = Coverage(len(text))
    for phone in phones:
        found.add(phone.span)
    region = (regions.primary + regions.secondary + ("ZZ",))[0]
    out = []
    for stretch in _DIGIT_STRETCH.finditer(folded):
        span = stretch.span()
        if taken.touches(span) or found.touches(span) or decoys.touches(span):
            continue
        if sum(ch.isdigit() for ch in stretch.group()) < 7:
            continue
        window_start = max(0, span[0] - 20)
        window = folded[window_start : span[1] + 20]
        for match in phonenumbers.PhoneNumberMatcher(
            window, region, leniency=phonenumbers.Leniency.VALID
        ):
            start = window_start + match.start
            end = window_start + match.end
            if taken.touches((start, end)) or found.touches((start, end)):
                continue
            value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            out.append(
                PhoneFind((start, end), value, region, "found only by the phonenumbers matcher", ())
            )
            found.add((start, end))
    return out


_ORDER = {"url": 0, "account": 1, "email": 2, "phone": 3, "wallet": 4, "bank_account": 5}


@functools.lru_cache(maxsize=8192)
def _normalized_cached(kind: str, raw: str | tuple[tuple[str, str], ...], region: str | None):
    return normalize(kind, raw if isinstance(raw, str) else dict(raw), default_region=region)


def _normalized(
    kind: str, raw: str | tuple[tuple[str, str], ...], region: str | None
) -> Normalized:
    """normalize(), cached (ads repeat the same numbers and hosts); each caller gets its own
    attributes dict."""
    found = _normalized_cached(kind, raw, region)
    return dataclasses.replace(found, attributes=dict(found.attributes))


def _key(raw: str | Mapping[str, str]) -> str | tuple[tuple[str, str], ...]:
    return raw if isinstance(raw, str) else tuple(sorted(raw.items()))


def _normalize(hits: list[_Hit], regions: Regions, platform: str | None) -> list[Candidate]:
    hits.sort(key=lambda hit: (hit.span[0], _ORDER[hit.kind]))
    region = (regions.primary + regions.secondary + (None,))[0]
    read: set[tuple[str, str]] = set()  # the same text is normalized once
    index: dict[tuple[str, str], int] = {}
    result: list[Candidate] = []
    for hit in hits:
        if (hit.kind, hit.shown) in read:
            continue
        read.add((hit.kind, hit.shown))
        try:
            if hit.error is not None:
                field, _, rule = hit.error.partition(": ")
                raise InvalidIdentifier(field, rule)
            normalized = _normalized(hit.kind, _key(hit.raw), hit.region or region)
            error = None
            key = (hit.kind, normalized.value)
        except InvalidIdentifier as exc:
            if not hit.keep_if_invalid:
                continue
            normalized, error = None, str(exc)
            if hit.kind == "account" and exc.field == "account.platform" and not platform:
                error = "account.platform: not known for a bare @handle; choose the platform"
            key = (hit.kind, f"raw:{hit.shown}")
        if key in index:
            # The same value read twice: certain if it was certain once.
            first = result[index[key]]
            if first.check is not None and hit.check is None and error is None:
                result[index[key]] = Candidate(
                    first.kind, first.raw, first.normalized, None, first.span, None, first.how
                )
            continue
        index[key] = len(result)
        check = hit.check if error is None else None
        result.append(Candidate(hit.kind, hit.shown, normalized, error, hit.span, check, hit.how))
    return result
