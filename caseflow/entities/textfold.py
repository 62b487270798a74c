"""Reading digits the way ads hide them: presentation forms folded to ASCII, and numbers
spelled in words (English, French, Spanish; units in German, Italian, Portuguese).

Pure functions, no I/O. `fold` keeps every offset (one character in, one out), so spans
found in the folded text point into the original.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Keycap marks (5️⃣ is "5", U+FE0F, U+20E3) and zero-width joiners become NUL, which the
# scanners treat as a separator of no width.
_GLUE = "\x00"
_GLUE_CHARS = "\ufe0f\ufe0e\u20e3\u200b\u200c\u200d\u2060\ufeff"


@functools.cache
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {ord(ch): _GLUE for ch in _GLUE_CHARS}
    # Non-ASCII digits of any script (Arabic-Indic, full-width, mathematical, circled...)
    # and compatibility forms that are one ASCII character (full-width @ and letters,
    # mathematical bold letters, circled letters): what NFKC would give, one for one.
    for code in (
        *range(0x00A0, 0x0100),
        *range(0x0660, 0x06FA),
        *range(0x0966, 0x0970),
        *range(0x2070, 0x20A0),
        *range(0x2150, 0x2190),
        *range(0x2460, 0x2500),
        *range(0x2776, 0x2794),
        *range(0xFF01, 0xFF5F),
        *range(0x1D400, 0x1D800),
        *range(0x1F100, 0x1F150),
    ):
        ch = chr(code)
        digit = unicodedata.digit(ch, None)
        if digit is not None:
            table[code] = str(digit)
            continue
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc.isascii() and nfkc.isprintable() and nfkc != ch:
            table[code] = nfkc
    table[0x00A0] = " "  # no-break space
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
        table[ord(dash)] = "-"
    return table


def fold(text: str) -> str:
    """Fold presentation forms to ASCII, one character for one (offsets are kept)."""
    if text.isascii():
        return text
    return text.translate(_fold_table())


# ------------------------------------------------------------------------- spelled numbers


@dataclass(frozen=True)
class SpelledNumber:
    """A number written in words: its digits as written ("06", "98") and its span."""

    start: int
    end: int
    digits: str


# word -> (kind, value). Kinds: unit 0-9, teen 10-19, tens 20-90, hundred, repeat (double,
# triple), and (connector inside a number: "vingt et un", "treinta y uno", "twenty and").
_LEXICON: dict[str, tuple[str, int]] = {}


def _add(kind: str, value: int, *words: str) -> None:
    for word in words:
        _LEXICON[word] = (kind, value)


for _value, _words in enumerate(
    [
        ("zero", "oh", "nought", "cero", "null", "nul"),
        ("one", "un", "une", "uno", "una", "eins", "um", "uma"),
        ("two", "deux", "dos", "zwei", "due", "dois", "duas"),
        ("three", "trois", "tres", "drei", "tre", "tres"),
        ("four", "quatre", "cuatro", "vier", "quattro", "quatro"),
        ("five", "cinq", "cinco", "funf", "fuenf", "cinque"),
        ("six", "seis", "sechs", "sei"),
        ("seven", "sept", "siete", "sieben", "sette", "sete"),
        ("eight", "huit", "ocho", "acht", "otto", "oito"),
        ("nine", "neuf", "nueve", "neun", "nove"),
    ]
):
    _add("unit", _value, *_words)
_add("teen", 10, "ten", "dix", "diez", "zehn", "dieci", "dez")
_add("teen", 11, "eleven", "onze", "once", "elf", "undici")
_add("teen", 12, "twelve", "douze", "doce", "zwolf", "dodici", "doze")
_add("teen", 13, "thirteen", "treize", "trece", "treze")
_add("teen", 14, "fourteen", "quatorze", "catorce", "catorze")
_add("teen", 15, "fifteen", "quinze", "quince")
_add("teen", 16, "sixteen", "seize", "dieciseis")
_add("teen", 17, "seventeen", "diecisiete")
_add("teen", 18, "eighteen", "dieciocho")
_add("teen", 19, "nineteen", "diecinueve")
_add("tens", 20, "twenty", "vingt", "vingts", "veinte")
_add("tens", 30, "thirty", "trente", "treinta")
_add("tens", 40, "forty", "fourty", "quarante", "cuarenta")
_add("tens", 50, "fifty", "cinquante", "cincuenta")
_add("tens", 60, "sixty", "soixante", "sesenta")
_add("tens", 70, "seventy", "septante", "setenta")
_add("tens", 80, "eighty", "huitante", "octante", "ochenta")
_add("tens", 90, "ninety", "nonante", "noventa")
for _value, _word in enumerate(
    ["veintiuno", "veintidos", "veintitres", "veinticuatro", "veinticinco", "veintiseis"],
    start=21,
):
    _add("compound", _value, _word)
_add("compound", 21, "veintiun")
_add("compound", 27, "veintisiete")
_add("compound", 28, "veintiocho")
_add("compound", 29, "veintinueve")
_add("hundred", 100, "hundred", "cent", "cents", "cien", "ciento")
_add("repeat", 2, "double", "doble")
_add("repeat", 3, "triple")
_add("and", 0, "et", "y", "and", "e")

_WORD = re.compile(r"[^\W\d_]+")
# What may stand between two words of one spelled number.
_WORD_GAP = re.compile(r"[\s\-.,/·•*_\x00]{0,4}")


def unit_words() -> list[str]:
    """The words for 0-9 (all languages read), for finders of digits glued to words."""
    return sorted((w for w, (kind, _) in _LEXICON.items() if kind == "unit"), key=len, reverse=True)


def unit_value(word: str) -> int | None:
    entry = _LEXICON.get(_plain(word))
    return entry[1] if entry and entry[0] == "unit" else None


def is_number_word(word: str) -> bool:
    """Is `word` a number in one of the languages read ("cinco", "FIVE", "zéro")?"""
    return _plain(word) in _LEXICON


@functools.lru_cache(maxsize=16384)
def _plain(word: str) -> str:
    word = word.casefold()
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


def spelled_numbers(text: str) -> list[SpelledNumber]:
    """Numbers written in words, each as the digits it stands for, in order.

    "five five five" gives 5, 5, 5; "zéro six trente-neuf quatre-vingt-dix-huit" gives 0, 6,
    39, 98; "treinta y nueve" 39; "double seven" 77; "nine hundred" 900. A lone connector
    ("et", "y") is not a number. Words that are numbers in one language and ordinary words
    in another ("un", "once") are returned too: the phone scanner only uses numbers that
    stand in a run of digits long enough to be a phone number.
    """
    words: list[tuple[int, int, str, int]] = []
    for match in _WORD.finditer(text):
        entry = _LEXICON.get(_plain(match.group()))
        if entry is not None:
            words.append((match.start(), match.end(), entry[0], entry[1]))
    if not words:
        return []
    # Split into groups of words that touch (only short separators between them).
    groups: list[list[tuple[int, int, str, int]]] = [[words[0]]]
    for word in words[1:]:
        previous = groups[-1][-1]
        if _WORD_GAP.fullmatch(text, previous[1], word[0]):
            groups[-1].append(word)
        else:
            groups.append([word])
    out: list[SpelledNumber] = []
    for group in groups:
        out.extend(_parse_group(group))
    return out


def _parse_group(group: list[tuple[int, int, str, int]]) -> list[SpelledNumber]:
    out: list[SpelledNumber] = []
    i, n = 0, len(group)

    def kind(k: int) -> str | None:
        return group[k][2] if k < n else None

    def value(k: int) -> int:
        return group[k][3]

    while i < n:
        start, _, what, number = group[i]
        j = i + 1
        if what == "and":
            i += 1
            continue
        if what == "repeat" and kind(j) == "unit":
            out.append(SpelledNumber(start, group[j][1], str(value(j)) * number))
            i = j + 1
            continue
        if what == "repeat":
            i += 1
            continue
        digits_width = 1
        if what == "unit" and kind(j) == "hundred":
            number, j, digits_width = number * 100, j + 1, 3
        elif what == "hundred":
            number, digits_width = 100, 3
        elif what == "unit" and number == 4 and kind(j) == "tens" and value(j) == 20:
            number, j, what = 80, j + 1, "tens"  # quatre-vingt(s)
        if digits_width == 3:
            # "nine hundred", "cinq cent douze", "ciento veinte y tres"
            rest, j = _below_hundred(group, j)
            number += rest or 0
        elif what == "tens":
            rest, j = _tens_rest(group, j, number)
            number += rest
            digits_width = 2
        elif what in ("teen", "compound"):
            if what == "teen" and number == 10 and kind(j) == "unit" and value(j) >= 7:
                number, j = 10 + value(j), j + 1  # dix-sept, dix-huit, dix-neuf
            digits_width = 2
        out.append(SpelledNumber(start, group[j - 1][1], str(number).zfill(digits_width)))
        i = j
    return out


def _tens_rest(group: list[tuple[int, int, str, int]], j: int, tens: int) -> tuple[int, int]:
    """What follows a tens word: a unit ("twenty-one", "trente et un", "treinta y uno") or,
    after 60 and 80 in French, a teen ("soixante-dix-huit", "quatre-vingt-douze")."""
    n = len(group)
    if tens == 80 and j > 0 and _plural_vingts(group[j - 1]):
        return 0, j  # "quatre-vingts" is 80 and ends there
    k = j + 1 if j < n and group[j][2] == "and" else j
    starts_eighty = (  # "... quatre-vingt": a new 80 starts
        k + 1 < n and group[k][3] == 4 and group[k + 1][2] == "tens" and group[k + 1][3] == 20
    )
    if k < n and group[k][2] == "unit" and group[k][3] > 0 and not starts_eighty:
        return group[k][3], k + 1
    if tens in (60, 80) and k < n and group[k][2] == "teen":
        teen = group[k][3]
        if teen == 10 and k + 1 < n and group[k + 1][2] == "unit" and group[k + 1][3] >= 7:
            return 10 + group[k + 1][3], k + 2
        return teen, k + 1
    return 0, j


def _plural_vingts(word: tuple[int, int, str, int]) -> bool:
    return word[2] == "tens" and word[3] == 20 and word[1] - word[0] == 6  # "vingts"


def _below_hundred(group: list[tuple[int, int, str, int]], j: int) -> tuple[int | None, int]:
    n = len(group)
    k = j + 1 if j < n and group[j][2] == "and" else j
    if k < n and group[k][2] == "tens":
        rest, after = _tens_rest(group, k + 1, group[k][3])
        return group[k][3] + rest, after
    if k < n and group[k][2] in ("teen", "compound"):
        return group[k][3], k + 1
    return None, j


# ---------------------------------------------------------------------------- windows


def windows(text: str, marker: re.Pattern[str], before: int, after: int) -> list[tuple[int, int]]:
    """Merged (start, end) windows around each match of `marker`: the only parts of the
    text a costlier pattern needs to read (an e-mail needs an @ or an "at", a URL a dot)."""
    out: list[tuple[int, int]] = []
    for match in marker.finditer(text):
        start, end = max(0, match.start() - before), min(len(text), match.end() + after)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def finditer_in(
    pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]
) -> list[re.Match[str]]:
    """`pattern.finditer` over the windows only (lookbehinds still see the text before)."""
    found: list[re.Match[str]] = []
    last_end = 0
    for start, end in spans:
        for match in pattern.finditer(text, max(start, last_end), end):
            found.append(match)
            last_end = match.end()
    return found
