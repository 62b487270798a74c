"""Find phone numbers in ad text written to evade matching: digits hidden in look-alike
letters, words, keycaps and full-width forms, split by spaces, emoji, bullets or new lines,
and next to prices, hours and postcodes.

The scanner reads *runs*: digit groups (or spelled numbers) separated only by separator
characters. Each run is cut into the numbers it holds by trying every stretch of whole
groups against the regions in order, keeping the cut that explains most digits
(`(212) 555-0136 24/7` is one number and "24/7"; `$200 718 555 0137` a price and one
number). Only groups that can be digits are read, so `lexi_xo22` stays a handle, and
groups inside prices, ages, dates, hours, ad ids or other identifiers are never used.

Pure functions, no I/O. Validation is normalize's phone rule (valid or fictional).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata

from caseflow.entities import normalize
from caseflow.entities.textfold import SpelledNumber, unit_value, unit_words

# Letters written for digits, inside a group that has at least one real digit: 9OO, 0l2,
# O7700 (Latin, Cyrillic and Greek O; I and l for 1; S for 5 and B for 8 in capitals).
_LOOK_ALIKES = {
    "O": "0",
    "o": "0",
    "\u041e": "0",
    "\u043e": "0",
    "\u039f": "0",
    "\u03bf": "0",
    "I": "1",
    "l": "1",
    "\u0406": "1",
    "S": "5",
    "B": "8",
}
_LOOK = "".join(_LOOK_ALIKES)
# Bounded by anything but a letter or digit ("07700_900_851" is three groups; in
# "lexi_xo22" the 22 touches a letter). Keycap glue (NUL) joins digits of one group.
# The first character is a plain class so the regex engine can skip to candidates quickly;
# the boundary before it is checked right after.
_GROUP = re.compile(
    rf"[0-9{_LOOK}](?<![^\W_][0-9{_LOOK}])"
    rf"(?:(?<=[{_LOOK}])[{_LOOK}]*+[0-9][0-9{_LOOK}]*+|(?<=[0-9])[0-9{_LOOK}]*+"
    rf"|(?P<pure>(?<=[{_LOOK}])[{_LOOK}]{{1,3}}+))"
    rf"(?:\x00++[{_LOOK}]*+[0-9][0-9{_LOOK}]*+)*+\x00*+(?![^\W_])"
)
_TO_DIGITS = str.maketrans(_LOOK_ALIKES)
# Digits glued to digit words: "2one2", "5five5", "0one3six".
_UNIT_WORDS = "|".join(w for w in unit_words() if w.isascii() and len(w) > 2)
_MIXED = re.compile(rf"(?i)(?:[0-9]|{_UNIT_WORDS})+")
_LETTER_DIGIT = re.compile(r"[^\W\d_][0-9]|[0-9][^\W\d_]")  # where a mixed token may be
_TOKEN_AT = re.compile(r"[^\W_]+")
_MIXED_PART = re.compile(rf"(?i)[0-9]+|{_UNIT_WORDS}")
# What may stand between two groups of one number: spaces, punctuation, bullets, arrows,
# emoji, keycap glue. At most two line breaks (numbers split over lines).
_EMOJI = "\u2190-\u2bff\u2e00-\u2e7f\u3000-\u303f\U0001f000-\U0001faff"
_GAP = re.compile(rf"[\s\-.·•∙●▪◦*~_/\\|,:;()\[\]{{}}'\"+=<>\x00{_EMOJI}]{{0,8}}")
_EMOJI_CHAR = re.compile(rf"[·•∙●▪◦*~|{_EMOJI}]")
MIN_DIGITS = 7
MAX_DIGITS = 15  # E.164; with an 00/011 prefix a written number has up to 18

# Regions a number is tried in when neither the ad nor the case gives one that fits; a
# number valid only there is offered for checking, and only when written like a phone.
# Countries with variable-length numbers (DE, AT, IT) are left out: too many digit runs
# would read as some number there.
FALLBACK_REGIONS = ("US", "GB", "FR", "ES", "MX", "CA", "AU", "BE", "CH", "NL", "IE")


@dataclass(frozen=True)
class Regions:
    """Where national numbers are read, in order. A number valid in a `primary` region
    (the ad's site or city, else the case's lead jurisdiction) is certain; one valid only
    in a `secondary` region (the case's other jurisdictions) or a fallback region is
    offered marked "check", with the reason."""

    primary: tuple[str, ...]
    secondary: tuple[str, ...] = ()
    fallback: tuple[str, ...] = FALLBACK_REGIONS

    @classmethod
    def build(cls, ad_regions: Sequence[str], case_regions: Sequence[str]) -> Regions:
        def known(codes: Sequence[str]) -> list[str]:
            out: list[str] = []
            for code in codes:
                code = (code or "").upper()
                if code in phonenumbers.SUPPORTED_REGIONS and code not in out:
                    out.append(code)
            return out

        ad, case = known(ad_regions), known(case_regions)
        primary = ad or case[:1]
        secondary = [c for c in case if c not in primary]
        fallback = [c for c in FALLBACK_REGIONS if c not in primary and c not in secondary]
        return cls(tuple(primary), tuple(secondary), tuple(fallback))


@dataclass(frozen=True)
class PhoneFind:
    """A phone number read in the text: `value` in E.164, the `span` in the text, the
    region it was read in (None for +numbers), `check` (why it needs a human look, or None
    when certain) and `how` it was hidden ("spelled", "look-alike letters", ...)."""

    span: tuple[int, int]
    value: str
    region: str | None
    check: str | None
    how: tuple[str, ...]


@dataclass(frozen=True)
class PhoneError:
    """Digits written like a phone number (+..., 0..., (...)) that are no valid number."""

    span: tuple[int, int]
    error: str


@dataclass(slots=True)
class _Group:
    start: int
    end: int
    digits: str
    spelled: bool
    look_alike: bool
    pure: bool = False  # only look-alike letters ("OO", "BS"): never starts a number


def _groups(folded: str, spelled: Sequence[SpelledNumber]) -> list[_Group]:
    groups = []
    for match in _GROUP.finditer(folded):
        if not _free_underscores(folded, match.start(), match.end()):
            continue
        raw = match.group().replace("\x00", "")
        digits = raw.translate(_TO_DIGITS)
        end = match.end()
        while end > match.start() and folded[end - 1] == "\x00":
            end -= 1
        pure = match.group("pure") is not None
        groups.append(_Group(match.start(), end, digits, False, digits != raw, pure))
    mixed = []
    for match in _mixed_tokens(folded):
        parts = _MIXED_PART.findall(match.group())
        if (
            len(parts) > 1
            and any(p.isdigit() for p in parts)
            and not all(p.isdigit() for p in parts)
        ):
            digits = "".join(p if p.isdigit() else str(unit_value(p)) for p in parts)
            mixed.append(_Group(match.start(), match.end(), digits, True, False))
    groups.extend(mixed)
    groups.extend(
        _Group(s.start, s.end, s.digits, True, False)
        for s in spelled
        if not any(m.start <= s.start < m.end for m in mixed)
    )
    groups.sort(key=lambda g: g.start)
    return groups


def _mixed_tokens(folded: str) -> list[re.Match[str]]:
    """Whole words made of digits and digit words ("2one2"), found from the places where a
    letter touches a digit (rare), not by trying the word list at every position."""
    out: list[re.Match[str]] = []
    last = -1
    for hit in _LETTER_DIGIT.finditer(folded):
        start = hit.start()
        while start > 0 and (folded[start - 1].isalnum()):
            start -= 1
        if start <= last:
            continue
        token = _TOKEN_AT.match(folded, start)
        if token is None:
            continue
        last = token.end()
        match = _MIXED.fullmatch(folded, token.start(), token.end())
        if match is not None:
            out.append(match)
    return out


def _free_underscores(folded: str, start: int, end: int) -> bool:
    """An underscore next to a group separates groups ("07700_900_851") unless a letter is
    on its other side ("candy_2125550123" is a handle)."""
    if start >= 2 and folded[start - 1] == "_" and folded[start - 2].isalpha():
        return False
    return not (end + 1 < len(folded) and folded[end] == "_" and folded[end + 1].isalpha())


@functools.cache
def _lengths(region: str) -> tuple[frozenset[int], str, str, str]:
    md = PhoneMetadata.metadata_for_region(region)
    assert md is not None
    general = md.general_desc
    lengths = frozenset((general.possible_length if general is not None else None) or ())
    idd = "011" if md.country_code == 1 else "00"
    return lengths, md.national_prefix or "", str(md.country_code), idd


def _plausible(digits: str, region: str) -> bool:
    """A cheap length test before the (slow) full parse: could `digits` be a national
    number of `region`, with or without its trunk prefix or country code?"""
    lengths, prefix, code, _ = _lengths(region)
    n = len(digits)
    if prefix and digits.startswith(prefix) and n - len(prefix) in lengths:
        return True
    if digits.startswith(code) and n - len(code) in lengths:
        return True
    # Where a trunk prefix is used (0 in GB, FR, DE...), a national number is written with
    # it; only NANP numbers are commonly written without their optional 1.
    return n in lengths and (not prefix or code == "1")


_COUNTRY_CODES = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _accept(text: str, region: str | None) -> str | None:
    parsed = normalize._phone(text, region)
    return None if isinstance(parsed, str) else parsed[0]


def _read(
    digits: str, plus: bool, regions: Regions, shaped: bool, tiers: tuple[int, ...] = (0, 1, 2)
) -> tuple[str, str | None, int] | None:
    """Read one stretch of digits: (E.164, region or None, tier 0/1/2) or None."""
    if plus:
        value = _accept("+" + digits, None) if len(digits) <= MAX_DIGITS else None
        if value is None:
            # "+44 (0) 7700 900123": a trunk 0 written after the country code.
            for k in (1, 2, 3):
                if digits[k : k + 1] == "0" and int(digits[:k]) in _COUNTRY_CODES:
                    value = _accept("+" + digits[:k] + digits[k + 1 :], None)
                    if value:
                        break
        return (value, None, 0) if value else None
    for idd in ("00", "011"):
        if digits.startswith(idd) and len(digits) - len(idd) >= MIN_DIGITS:
            value = _accept("+" + digits[len(idd) :], None)
            if value:
                return value, None, 0
    if len(digits) > MAX_DIGITS:
        return None
    for tier, codes in enumerate((regions.primary, regions.secondary, regions.fallback)):
        if tier not in tiers or (tier == 2 and not shaped):
            continue
        for region in codes:
            if _plausible(digits, region):
                value = _accept(digits, region)
                if value:
                    return value, region, tier
    return None


def _gap_ok(gap: str) -> bool:
    return gap.count("\n") <= 2 and _GAP.fullmatch(gap) is not None


class Coverage:
    """Marks the characters covered by some spans; answers "does this span touch them?"."""

    def __init__(self, size: int) -> None:
        self._covered = bytearray(size)

    def add(self, span: tuple[int, int]) -> None:
        self._covered[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def touches(self, span: tuple[int, int]) -> bool:
        return any(self._covered[span[0] : span[1]])


def scan_phones(
    text: str,
    folded: str,
    spelled: Sequence[SpelledNumber],
    regions: Regions,
    *,
    taken: Coverage,
    decoys: Coverage,
) -> tuple[list[PhoneFind], list[PhoneError]]:
    """Phone numbers in `text` (`folded` is textfold.fold(text), same length).

    Groups inside `taken` (URLs, e-mails, wallets, IBANs) are skipped; groups inside
    `decoys` (prices, ages, dates...) end a number and never start one.
    """
    groups = [g for g in _groups(folded, spelled) if not taken.touches((g.start, g.end))]
    finds: list[PhoneFind] = []
    errors: list[PhoneError] = []
    run: list[_Group] = []
    for group in groups:
        if run and not (group.start >= run[-1].end and _gap_ok(folded[run[-1].end : group.start])):
            _cut(text, folded, run, regions, decoys, finds, errors)
            run = []
        run.append(group)
    if run:
        _cut(text, folded, run, regions, decoys, finds, errors)
    return finds, errors


# A number read in a better tier wins over one that explains more digits in a worse one.
_TIER_SCORE = (3000, 2000, 1000)


def _cut(
    text: str,
    folded: str,
    run: list[_Group],
    regions: Regions,
    decoys: Coverage,
    finds: list[PhoneFind],
    errors: list[PhoneError],
) -> None:
    total = sum(len(g.digits) for g in run)
    if total < MIN_DIGITS:
        return
    n = len(run)
    decoy = [decoys.touches((g.start, g.end)) for g in run]
    longest = stretch = 0  # digits in the longest stretch of groups free of decoys
    for group, is_decoy in zip(run, decoy, strict=True):
        stretch = 0 if is_decoy else stretch + len(group.digits)
        longest = max(longest, stretch)
    if longest < MIN_DIGITS:
        return  # prices, sizes and dates only: nothing to read, nothing to report
    plus = [
        "+" in folded[(run[k - 1].end if k else max(0, run[0].start - 3)) : run[k].start]
        for k in range(n)
    ]
    options = _options(folded, run, regions, decoy, plus, (0, 1))
    best_score = max((o[2] for opts in options for o in opts), default=0)
    if best_score < _TIER_SCORE[1]:
        # Nothing certain read here (or only a cut that leaves digits hanging): try the
        # fallback regions too. Most runs never need them.
        options = _options(folded, run, regions, decoy, plus, (0, 1, 2))
    # Best cut: the set of non-overlapping numbers that explains most digits.
    best = [0] * (n + 1)
    choice: list[tuple[int, tuple[str, str | None, int]] | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i], choice[i] = best[i + 1], None
        for j, read, score in options[i]:
            if score + best[j + 1] > best[i]:
                best[i], choice[i] = score + best[j + 1], (j, read)
    i = 0
    found = False
    while i < n:
        picked = choice[i]
        if picked is None:
            i += 1
            continue
        j, (value, region, tier) = picked
        start = run[i].start
        if plus[i]:  # the span starts at the "+" (also in "(+44)")
            start = folded.rindex("+", max(0, start - 3), start)
        span = (start, run[j].end)
        check = None
        if tier == 1:
            check = f"valid as a number of {region}, not of {', '.join(regions.primary)}"
        elif tier == 2:
            where = ", ".join(regions.primary + regions.secondary) or "the case's regions"
            check = f"valid only as a number of {region}, not of {where}"
        finds.append(PhoneFind(span, value, region, check, _how(text, folded, run[i : j + 1])))
        found = True
        i = j + 1
    if not found and not any(decoy):
        first = run[0]
        digits = "".join(g.digits for g in run)
        written_like_phone = (
            plus[0] or digits[0] == "0" or folded[first.start - 1 : first.start] == "("
        )
        if written_like_phone and 9 <= len(digits) <= MAX_DIGITS + 3:
            region = regions.primary[0] if regions.primary else None
            parsed = normalize._phone(("+" if plus[0] else "") + digits, region)
            rule = parsed if isinstance(parsed, str) else "not a valid phone number"
            errors.append(PhoneError((first.start, run[-1].end), f"phone: {rule}"))


def _options(
    folded: str,
    run: list[_Group],
    regions: Regions,
    decoy: list[bool],
    plus: list[bool],
    tiers: tuple[int, ...],
) -> list[list[tuple[int, tuple[str, str | None, int], int]]]:
    """Every reading of every stretch of whole groups: (last group, reading, score)."""
    n = len(run)
    options: list[list[tuple[int, tuple[str, str | None, int], int]]] = [[] for _ in range(n)]
    for i in range(n):
        if decoy[i] or run[i].pure:
            continue
        before = folded[max(0, run[i].start - 1) : run[i].start]
        digits = ""
        for j in range(i, n):
            if decoy[j]:
                break
            digits += run[j].digits
            if len(digits) > MAX_DIGITS + 3:
                break
            if len(digits) < MIN_DIGITS:
                continue
            shaped = plus[i] or digits[0] == "0" or before == "(" or len(digits) in (10, 11)
            read = _read(digits, plus[i], regions, shaped, tiers)
            if read is not None:
                score = _TIER_SCORE[read[2]] + len(digits)
                if _dangles(folded, run, decoy, i - 1, i) or _dangles(folded, run, decoy, j + 1, j):
                    score -= _DANGLING
                options[i].append((j, read, score))
    return options


# A reading that leaves one or two digits hanging right next to it ("646 555 010-2") cut a
# written group in two: it loses more than a tier, so a whole reading elsewhere wins.
_DANGLING = 2500


def _dangles(folded: str, run: list[_Group], decoy: list[bool], k: int, near: int) -> bool:
    if not 0 <= k < len(run) or decoy[k] or len(run[k].digits) > 2:
        return False
    a, b = (run[k], run[near]) if k < near else (run[near], run[k])
    gap = folded[a.end : b.start]
    return len(gap) <= 3 and "\n" not in gap


def _how(text: str, folded: str, groups: list[_Group]) -> tuple[str, ...]:
    how = []
    if any(g.spelled for g in groups):
        how.append("spelled")
    if any(g.look_alike for g in groups):
        how.append("look-alike letters")
    start, end = groups[0].start, groups[-1].end
    if text[start:end] != folded[start:end]:
        how.append("keycaps or special digits")
    gaps = [folded[a.end : b.start] for a, b in itertools.pairwise(groups)]
    if any("\n" in gap for gap in gaps):
        how.append("split over lines")
    if any(_EMOJI_CHAR.search(text[a.end : b.start]) for a, b in itertools.pairwise(groups)):
        how.append("emoji or bullets")
    if sum(len(g.digits) == 1 and not g.spelled for g in groups) >= 6:
        how.append("spaced digits")
    return tuple(how)
