"""E-mail addresses and URLs as ads write them: "name at example dot org", [at], (at),
{at}, arobase, arroba, a spaced or full-width @, defanged hxxp:// and [.], no scheme,
www. Pure functions over folded text (textfold.fold), no I/O; values are normalized by
normalize.normalize_email / normalize_url afterwards.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pycountry

from caseflow.entities.textfold import finditer_in, windows

_GENERIC_TLDS = (
    "com org net info biz edu gov mil int io co me tv cc ly gl xyz online site club top app "
    "dev live life pro mobi name link click shop store blog fun icu vip xxx sex porn adult "
    "today world space website tech agency email chat date dating love sexy girl girls "
    "escort cam cams tube video social media page network one ai eu asia lat"
)
# Bare domains (no scheme, no www) need one of these, in lower case: "town.So" or "me.at"
# in a sentence are not web addresses.
STRONG_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "info",
        "biz",
        "io",
        "co",
        "xyz",
        "online",
        "site",
        "club",
        "top",
        "app",
        "xxx",
        "live",
        "link",
        "ly",
        "gl",
        "fr",
        "es",
        "de",
        "mx",
        "ca",
        "uk",
        "eu",
        "be",
        "nl",
        "ch",
        "ie",
        "ar",
        "au",
        "br",
        "cl",
        "pe",
        "ve",
        "ec",
        "uy",
        "nz",
        "pl",
        "pt",
        "ro",
        "ru",
        "ua",
        "se",
        "dk",
        "fi",
        "cz",
        "at",
    ]
)


@functools.cache
def _tlds() -> str:
    names = set(_GENERIC_TLDS.split()) | {c.alpha_2.lower() for c in pycountry.countries}
    names.add("uk")
    return "|".join(sorted(names, key=lambda t: (-len(t), t)))


# Possessive (no backtracking into a word): each word start costs one step, not one per
# character, and ill-formed tails are left to normalize's rules.
_LOCAL = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}+"
# A local part may hide its dots too: "candy(dot)luv(at)example(dot)org".
_LOCAL_DOT = r"(?:\s?[\[\(\{]\s?dot\s?[\]\)\}]\s?)"
_LOCAL_OBF = rf"{_LOCAL}(?:{_LOCAL_DOT}{_LOCAL}){{0,6}}"
_LABEL = r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}+"
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT = (
    rf"(?P<at>@|\s{{1,2}}@\s{{1,2}}|\s?{_OPEN}\s?(?:at|@|arobase|arroba|a)\s?{_CLOSE}\s?"
    r"|\s+(?:at|AT|At|arobase|AROBASE|arroba|ARROBA)\s+)"
)
_DOT = (
    rf"(?:\.|\s\.\s|\s?{_OPEN}\s?(?:dot|\.|point|punto|pt)\s?{_CLOSE}\s?"
    r"|\s+(?:dot|DOT|Dot|point|POINT|punto|PUNTO)\s+)"
)
_FREEMAIL = {
    "gmail": "gmail.com",
    "googlemail": "googlemail.com",
    "yahoo": "yahoo.com",
    "hotmail": "hotmail.com",
    "outlook": "outlook.com",
    "protonmail": "protonmail.com",
    "proton": "proton.me",
    "icloud": "icloud.com",
    "aol": "aol.com",
    "gmx": "gmx.com",
}
# Words that are not a mailbox when "at" is written as a word ("meet me at example dot com").
_NOT_MAILBOXES = {
    "me",
    "us",
    "you",
    "him",
    "her",
    "them",
    "it",
    "look",
    "meet",
    "find",
    "see",
    "call",
    "text",
    "here",
    "there",
    "home",
    "and",
    "or",
    "is",
    "am",
    "are",
    "be",
    "stay",
    "arrive",
    "work",
    "available",
    "now",
    "moi",
    "nous",
    "vous",
    "toi",
    "yo",
    "te",
}


@functools.cache
def _email_re() -> re.Pattern[str]:
    tld = _tlds()
    return re.compile(
        rf"(?<![\w.+\-@])(?P<local>{_LOCAL_OBF}){_AT}"
        rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL}){{0,8}}?{_DOT}(?i:{tld}))(?![\w\-/])(?!\.\w)"
        rf"|(?<![\w.+\-@])(?P<flocal>{_LOCAL}){_AT.replace('?P<at>', '?P<at2>')}"
        rf"(?P<free>(?i:{'|'.join(_FREEMAIL)}))"
        r"(?![\w.\-\[\(])(?!\s?(?:dot|point|punto)\b)",
    )


_DOT_SPLIT = re.compile(_DOT)


@dataclass(frozen=True)
class AddressFind:
    kind: str  # email or url
    value: str  # de-obfuscated, for normalize
    span: tuple[int, int]
    check: str | None = None  # why a human should look, or None
    how: tuple[str, ...] = ()


# An e-mail needs an @ or an "at" word; only the text around one is read (speed).
_AT_MARK = re.compile(
    r"@|[\[\(\{<]\s?(?:at|AT|a|@|arobase|arroba)\s?[\]\)\}>]"
    r"|(?<![^\W\d])(?:arobase|AROBASE|Arobase|arroba|ARROBA|Arroba)(?![^\W\d])"
    # "at" as a word only when a domain-like word follows: "name at example dot org"
    r"|(?<![^\W\d])(?:at|AT|At)\s+(?=[\w\-]{1,40}(?:\s+(?:dot|DOT|Dot|point|punto)\s|[.\[\(\{])"
    r"|(?:gmail|googlemail|yahoo|hotmail|outlook|proton|protonmail|icloud|aol|gmx)\b)"
)
_DOT_MARK = re.compile(
    r"\.(?=[A-Za-z0-9])|\s\.\s|[\[\(\{]\s?(?:\.|dot|DOT)\s?[\]\)\}]|://|(?<![^\W\d])www"
)


def emails(folded: str) -> list[AddressFind]:
    out = []
    spans = windows(folded, _AT_MARK, 80, 200)
    for match in finditer_in(_email_re(), folded, spans):
        at = match.group("at") or match.group("at2")
        word_at = at.strip().lower() in ("at", "arobase", "arroba")
        local = match.group("local") or match.group("flocal")
        local = re.sub(_LOCAL_DOT, ".", local)
        spoken = word_at or (at.strip() == "@" and at != "@")  # "at" as a word, or " @ "
        if spoken and (local.lower() in _NOT_MAILBOXES or len(local) < 2):
            continue
        how = []
        if at.strip() != "@" or at != "@":
            how.append("spelled or spaced @")
        check = None
        if match.group("domain"):
            raw_domain = match.group("domain")
            domain = _DOT_SPLIT.sub(".", raw_domain)
            if domain != raw_domain:
                how.append("spelled dot")
        else:
            domain = _FREEMAIL[match.group("free").lower()]
            how.append("provider without domain ending")
            check = f"the ad writes only {match.group('free')!r}; {domain} assumed"
        if word_at and check is None and not re.search(r"[0-9_.]", local) and "spelled dot" in how:
            check = "'at' and 'dot' written as words; read as an e-mail address"
        out.append(AddressFind("email", f"{local}@{domain}", match.span(), check, tuple(how)))
    return out


_SCHEME = r"(?P<scheme>h[tx]{2}ps?)\s?(?::|\[:\])\s?//"
_DEFANG_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))"
_SPACED_DOT = r"(?:\s\.\s)"
_PATH = r"(?P<path>[/?#][^\s<>\"'`]*)?"


@functools.cache
def _url_re() -> re.Pattern[str]:
    tld = _tlds()
    # After "www", dots may also be spaced out: "www . example . com / candy".
    dot = rf"(?:{_DEFANG_DOT}|{_SPACED_DOT})"
    host = rf"{_LABEL}(?:{dot}{_LABEL}){{0,10}}{dot}(?P<tld>[A-Za-z]{{2,24}})"
    spaced_path = r"(?P<path2>[/?#][^\s<>\"'`]*|\s/\s?[\w\-.]+(?:/[\w\-.]*)*)?"
    return re.compile(
        rf"(?i:{_SCHEME})(?P<host1>{_LABEL}(?:{_DEFANG_DOT}{_LABEL}){{0,10}}|\[[0-9a-fA-F:.]+\])"
        rf"(?::\d{{1,5}})?{_PATH}"
        rf"|(?<![\w.@\-/])(?P<www>(?i:www){dot}{host}){spaced_path}"
        rf"|(?<![\w.@\-/+])(?P<bare>{_LABEL}(?:{_DEFANG_DOT}{_LABEL}){{0,10}}{_DEFANG_DOT}"
        rf"(?P<btld>(?i:{tld})))(?![\w\-@])(?!\.\w){_PATH.replace('path', 'path3')}"
    )


_SPELLED_URL = re.compile(
    rf"(?<![\w.@])(?P<name>{_LABEL})\s+(?:dot|DOT|Dot|point|punto)\s+(?P<tld>com|org|net|fr|es|"
    r"co\.uk|uk|mx|info|xxx)\b(?!\s*@)"
)
_TRAILING = ".,;:!?*'\")]}>"
_UNDEFANG = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\s\.\s", re.IGNORECASE)
_SPACED_SLASH = re.compile(r"\s/\s?")


def urls(folded: str) -> list[AddressFind]:
    out = []
    for match in finditer_in(_url_re(), folded, windows(folded, _DOT_MARK, 80, 300)):
        text = match.group()
        how = []
        if match.group("bare") is not None:
            tld = match.group("btld")
            first = match.group("bare").split(".")[0]
            host = match.group("bare")
            if tld != tld.lower() and host != host.upper():
                continue  # "town.So" in a sentence; "EXAMPLE.ORG" is a name in capitals
            tld = tld.lower()
            if tld not in STRONG_TLDS and not match.group("path3"):
                continue
            if len(first) < 3 and not match.group("path3"):
                continue
            how.append("no scheme")
        elif match.group("www") is not None:
            how.append("no scheme")
        # Trailing punctuation belongs to the sentence, and ")" only when unbalanced.
        while text and (
            (text[-1] in _TRAILING and not (text[-1] == ")" and text.count("(") >= text.count(")")))
            or (text[-1] == ")" and text.count("(") < text.count(")"))
        ):
            text = text[:-1]
        start = match.start()
        value = _SPACED_SLASH.sub("/", _UNDEFANG.sub(".", text))
        scheme = match.group("scheme")
        if scheme:
            value = re.sub(r"\s?(?::|\[:\])\s?//", "://", value, count=1)
            if "x" in scheme.lower():
                value = "http" + value[4:] if value[:4].lower() == "hxxp" else value
        if value != text:
            how.append("defanged")
        out.append(AddressFind("url", value, (start, start + len(text)), None, tuple(how)))
    for match in _SPELLED_URL.finditer(folded):
        value = f"{match.group('name')}.{match.group('tld')}"
        out.append(
            AddressFind(
                "url",
                value,
                match.span(),
                "'dot' written as a word; read as a web address",
                ("spelled dot",),
            )
        )
    return out
