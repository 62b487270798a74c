"""What an ad says about the offer, for analysts: prices, stated ages, possible-minor
wording and places; and the spans of those numbers, which are never identifiers.

Pure functions over text (folded with textfold.fold first), no I/O. Everything here is an
observation of what the ad says, for an analyst to weigh; nothing is a conclusion about a
person ("young" in an ad is a phrase to notice, not a finding that someone is a minor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from caseflow.entities import gazetteer
from caseflow.entities.textfold import finditer_in, fold, windows

# ------------------------------------------------------------------------------- prices

_CURRENCY_WORDS = {
    "$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "mxn": "MXN",
    "peso": "MXN",
    "pesos": "MXN",
    "cad": "CAD",
    "aud": "AUD",
    "chf": "CHF",
    "roses": None,  # "200 roses": a price in the ad's currency
    "rose": None,
    "rosas": None,
    "donation": None,
    "donations": None,
}
_CUR = r"(?:[$£€]|usd|gbp|eur|euros?|dollars?|bucks|pounds?|quid|pesos?|mxn|cad|aud|chf)"
_AMOUNT = r"\d{1,3}(?:[,.]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_UNIT = (
    r"(?:\s?(?:/|per|x|a|la|el|the|for|pour|por)?\s?"
    r"(?P<unit{n}>(?:1\s?)?(?:hr|hrs|hour|hours|h|hh|half\s?hour|half|qv|min|mins|minutes|"
    r"heure|heures|hora|horas|night|nuit|noche|overnight|session)\b))?"
)
_PRICE = re.compile(
    rf"(?i)(?P<cur1>{_CUR})\s?(?P<amount1>{_AMOUNT})(?![\d])(?:\s?(?P<k1>k)\b)?"
    + _UNIT.format(n=1)
    # A symbol after an amount is its currency unless a number follows ("0131 $200").
    + rf"|(?<![\w.])(?P<amount2>{_AMOUNT})\s?(?P<cur2>{_CUR}|roses?|rosas?|donations?)"
    + r"(?![a-z])(?!\s?\d)"
    + _UNIT.format(n=2)
    + r"|(?<![\w.$£€])(?P<amount3>\d{2,4})\s?(?:/|per)\s?(?P<unit3>hr|hrs|hour|h|hh|half|"
    r"min|mins|heure|hora|night|nuit|noche)\b"
    r"|(?<![\w.$£€])(?P<amount4>\d{2,4})\s?(?P<unit4>hh|hr|hrs)\b"
)


@dataclass(frozen=True)
class Price:
    amount: str  # as written, without thousands separators ("1500", "150.50")
    currency: str | None  # ISO 4217 when stated or implied by a symbol; None for "roses"
    unit: str | None  # "hour", "half hour", "night", "minutes"... as stated
    span: tuple[int, int]


def _unit_name(text: str | None) -> str | None:
    if not text:
        return None
    word = re.sub(r"^1\s?", "", text.lower())
    for names, unit in (
        (("hr", "hrs", "hour", "hours", "h", "heure", "heures", "hora", "horas"), "hour"),
        (("hh", "half hour", "halfhour", "half", "qv"), "half hour"),
        (("min", "mins", "minutes"), "minutes"),
        (("night", "nuit", "noche", "overnight"), "night"),
        (("session",), "session"),
    ):
        if word in names:
            return unit
    return word


_DIGITS = re.compile(r"\d+")


def prices(text: str) -> list[Price]:
    return numbers(text)[0]


def _price(match: re.Match[str]) -> Price:
    groups = match.groupdict()
    amount = next(groups[g] for g in ("amount1", "amount2", "amount3", "amount4") if groups[g])
    cur = (groups["cur1"] or groups["cur2"] or "").lower()
    currency = _CURRENCY_WORDS.get(cur.rstrip("s") if cur not in _CURRENCY_WORDS else cur)
    unit = _unit_name(groups["unit1"] or groups["unit2"] or groups["unit3"] or groups["unit4"])
    clean = re.sub(r"[,.](?=\d{3}\b)", "", amount).replace(",", ".")
    if groups.get("k1"):
        clean = str(int(float(clean) * 1000))
    return Price(clean, currency, unit, match.span())


# --------------------------------------------------------------------------------- ages

_AGE = re.compile(
    r"(?i)(?<![\d.])(?P<a1>\d{2})\s?(?:yo|y/o|y\.o\.?|yrs?(?:\s?old)?|years?(?:\s?old)?|"
    r"ans|años|anos|anni|jahre)(?![a-z])"
    r"|\b(?:age|aged|âge|agee|âgée|edad|tengo|j'ai|i'm|im|i am|soy)\s?:?\s?(?P<a2>\d{2})"
    r"(?![\d'\"])"
)


@dataclass(frozen=True)
class StatedAge:
    age: int
    span: tuple[int, int]


def stated_ages(text: str) -> list[StatedAge]:
    return numbers(text)[1]


# ------------------------------------------------------------- possible-minor indicators

# Phrases that guidance for analysts of escort ads lists as worth a second look for a
# possible minor. Each is an observation of wording, never a conclusion.
_MINOR_PHRASES = {
    "new in town": "new-arrival wording",
    "new to town": "new-arrival wording",
    "just arrived": "new-arrival wording",
    "new girl": "new-arrival wording",
    "first time": "first-time wording",
    "young": "youth wording",
    "very young": "youth wording",
    "barely legal": "youth wording",
    "just turned 18": "age-threshold wording",
    "fresh": "youth wording",
    "teen": "youth wording",
    "petite": "youth wording",
    "tiny": "youth wording",
    "schoolgirl": "youth wording",
    "student": "youth wording",
    "innocent": "youth wording",
    "daddy's girl": "youth wording",
    "little": "youth wording",
    "lolita": "youth wording",
    "nouvelle": "new-arrival wording",
    "nouvelle en ville": "new-arrival wording",
    "nouvelle arrivée": "new-arrival wording",
    "jeune": "youth wording",
    "toute jeune": "youth wording",
    "petite jeune": "youth wording",
    "étudiante": "youth wording",
    "première fois": "first-time wording",
    "18 ans tout juste": "age-threshold wording",
    "nueva": "new-arrival wording",
    "recién llegada": "new-arrival wording",
    "nueva en la ciudad": "new-arrival wording",
    "jovencita": "youth wording",
    "joven": "youth wording",
    "colegiala": "youth wording",
    "estudiante": "youth wording",
    "primera vez": "first-time wording",
    "niña": "youth wording",
    "menor": "youth wording",
}
# Phrases by their first word, longest first: words are looked up, not the whole list tried
# at every position.
_MINOR_BY_FIRST: dict[str, list[str]] = {}
for _phrase in sorted(_MINOR_PHRASES, key=len, reverse=True):
    _MINOR_BY_FIRST.setdefault(_phrase.split()[0], []).append(_phrase)
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_MINOR_EMOJI = {
    "🍭": "emoji listed as a youth indicator",
    "🎀": "emoji listed as a youth indicator",
}


@dataclass(frozen=True)
class Indicator:
    """Wording an analyst may want to look at: the phrase as written and why it is listed."""

    phrase: str
    reason: str
    span: tuple[int, int]


def minor_indicators(text: str, ages: list[StatedAge]) -> list[Indicator]:
    out = []
    lower = text.lower()
    taken = -1
    for word in _WORDS.finditer(lower):
        if word.start() < taken:
            continue
        for phrase in _MINOR_BY_FIRST.get(word.group(), ()):
            end = word.start() + len(phrase)
            if lower.startswith(phrase, word.start()) and not lower[end : end + 1].isalnum():
                out.append(
                    Indicator(text[word.start() : end], _MINOR_PHRASES[phrase], (word.start(), end))
                )
                taken = end
                break
    for emoji, reason in _MINOR_EMOJI.items():
        start = text.find(emoji)
        if start >= 0:
            out.append(Indicator(emoji, reason, (start, start + len(emoji))))
    for age in ages:
        if age.age < 18:
            out.append(Indicator(text[age.span[0] : age.span[1]], "stated age under 18", age.span))
        elif age.age <= 19:
            out.append(Indicator(text[age.span[0] : age.span[1]], "stated age 18 or 19", age.span))
    return sorted(out, key=lambda i: i.span)


# ------------------------------------------------------------------------------ places

_US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
]
# Place names: up to four capitalised words, each tried only where a word starts and read
# possessively (no backtracking into a word: long runs of capitals stay linear).
_WORD = r"(?<![\w'.-])[A-Z][a-zA-Zàâçéèêëîïôûùüÿñáíóú'.-]{1,40}+"
_NAME = rf"{_WORD}(?:\s(?:{_WORD}|de|la|del|sur|en)){{0,3}}?"
_CITY_STATE = re.compile(rf"(?P<city>{_NAME}),?\s(?P<state>{'|'.join(_US_STATES)})\b(?!\s?[:@])")
# A place after a word that introduces one ("in", "near", "à", "en", "📍"): capitalised words
# are found first (a cheap scan), then the words before them are checked.
_PLACE_WORDS = frozenset(
    [
        "in",
        "near",
        "around",
        "visiting",
        "from",
        "incall",
        "outcall",
        "area",
        "en",
        "à",
        "a",
        "de",
        "sur",
        "dans",
        "desde",
        "zona",
        "secteur",
        "quartier",
        "barrio",
        "at",
        "located",
        "based",
    ]
)
# After these a capitalised name is a place even when the gazetteer does not know it.
_PIN_WORDS = frozenset(
    {"incall", "outcall", "visiting", "located", "based", "zona", "quartier", "barrio"}
)
_CAPITAL = re.compile(r"[A-Z]")
_PLACE_NAME = re.compile(rf"(?P<name>{_NAME})(?=[\s,.!;:)]|$)")
_STATE_MARK = re.compile(rf"\b(?:{'|'.join(_US_STATES)})\b")
_BIG_CITY = 300_000


@dataclass(frozen=True)
class Location:
    """A place the ad names: as written, resolved (country, ISO 3166-2 subdivision, city)
    when the gazetteer knows it, else left unresolved (country None)."""

    text: str
    country: str | None
    subdivision: str | None
    city: str | None
    span: tuple[int, int]


def us_state_after_city(text: str, start: int) -> bool:
    """Is the two capital letters at `start` a US state code after a city ("Bellevue WA")?"""
    head = text[max(0, start - 40) : start + 2]
    matches = list(_CITY_STATE.finditer(head))
    match = matches[-1] if matches else None
    if match is None or match.end("state") != len(head):
        return False
    return _resolve_city_state(match.group("city"), match.group("state")) is not None


def _resolve_city_state(city: str, state: str) -> gazetteer.Place | None:
    words = city.split()
    for k in range(len(words)):  # "Escort in Bellevue WA": try the shortest tail first
        name = " ".join(words[len(words) - 1 - k :])
        place = gazetteer.city_in(name, "US", f"US-{state}")
        if place is not None:
            return place
    return None


def locations(text: str) -> list[Location]:
    out: list[Location] = []
    taken: list[tuple[int, int]] = []

    def add(loc: Location) -> None:
        if not any(a < loc.span[1] and loc.span[0] < b for a, b in taken):
            out.append(loc)
            taken.append(loc.span)

    for match in finditer_in(_CITY_STATE, text, windows(text, _STATE_MARK, 60, 0)):
        place = _resolve_city_state(match.group("city"), match.group("state"))
        if place is not None:
            end = match.end("state")
            start = end - len(match.group("state")) - 1 - len(place.name)
            start = text.rfind(place.name, 0, end)
            add(Location(text[start:end], "US", place.subdivision, place.name, (start, end)))
    for capital in _CAPITAL.finditer(text):
        start = capital.start()
        if not start or (text[start - 1] not in " \t\n\xa0📍" and text[start - 2 : start] != "📍"):
            continue
        previous = text[max(0, start - 12) : start].rstrip().rpartition(" ")[2].lower()
        if previous not in _PLACE_WORDS and not previous.endswith("📍"):
            continue
        named = _PLACE_NAME.match(text, start)
        if named is None:
            continue
        name = named.group("name").rstrip(".")
        span = (named.start("name"), named.start("name") + len(name))
        place = _place(name)
        if place is not None:
            add(Location(name, place.country, place.subdivision, place.city, span))
        elif previous in _PIN_WORDS or previous.endswith("📍"):
            add(Location(name, None, None, None, span))  # a place the gazetteer does not know
    for match in re.finditer(r"\b[A-Z][a-zà-ÿ]+(?:\s[A-Z][a-zà-ÿ]+)?\b", text):
        found = gazetteer.cities(match.group())
        if found and found[0].population >= _BIG_CITY and found[0].name == match.group():
            place = found[0]
            add(Location(match.group(), place.country, place.subdivision, place.city, match.span()))
    return sorted(out, key=lambda loc: loc.span)


def _place(name: str) -> gazetteer.Place | None:
    words = name.split()
    for k in range(len(words), 0, -1):  # longest prefix first: "San Diego Downtown"
        candidate = " ".join(words[:k])
        cities = gazetteer.cities(candidate)
        regions = gazetteer.subdivisions(candidate)
        # "Ontario" is a province and a small Californian city: the region wins unless the
        # city is a big one ("New York").
        if cities and (not regions or cities[0].population >= 1_000_000):
            return cities[0]
        if regions:
            return regions[0]
    return None


# ------------------------------------------------------------------------ all at once

_DURATION = re.compile(
    r"(?i)(?<![\w.])\d{1,3}\s?(?:hr|hrs|hour|hours|h|min|mins|minutes|heures?|horas?|"
    r"nights?|nuits?|noches?|days?|jours?|d[ií]as?)(?![a-z])"
)
_TIME = re.compile(
    r"(?i)(?<![\w.])(?:24\s?/\s?7|24\s?h(?:rs?)?|\d{1,2}(?:[:h]\d{2})?\s?(?:am|pm|h)\b|"
    r"\d{1,2}[:h]\d{2})"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
# Day and month in either order, then a year; not part of a longer dotted or dashed run of
# digit pairs (06.39.98.12.26 is a phone number).
_DATE = re.compile(
    rf"(?<![\d][/.\-])(?<!\d)(?:{_DAY}[/.\-]{_MONTH}|{_MONTH}[/.\-]{_DAY})[/.\-](?:\d{{4}}|\d{{2}})"
    r"(?!\d)(?![/.\-]\d)"
    r"|(?<!\d)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)"
)
_BODY = re.compile(
    r"(?i)(?<![\w.])(?:\d\s?(?:'|\u2019|ft|feet|foot)\s?\d{1,2}(?:\s?(?:\"|”|''|in|inches))?|"
    r"\d(?:[.,]\d{2})\s?m\b|\d{2,3}\s?(?:cm|kg|kgs|lbs?|pounds)\b|"
    r"\d{2}\s?(?:[a-h]{1,3}|dd|ddd)\b(?:\s?cup)?|"
    r"(?<!\d[\-.])\d{2}\s?-\s?\d{2}\s?-\s?\d{2}(?!\s?-?\s?\d)|"
    r"(?:size|taille|talla|bust|waist|hips|bra)\s?:?\s?\d{1,3})"
)
_AD_ID = re.compile(
    r"(?i)(?:\b(?:ad|post|posting|listing|ref|reference|annonce|anuncio|id|order|ticket|"
    r"ad\s?id|post\s?id)\s?(?:#|no\.?|n°|nº|number|id)?\s?[:#]?\s?|#|\bn[°º]\s?)\d{3,}"
)
_POSTCODE_AFTER_STATE = re.compile(rf"\b(?:{'|'.join(_US_STATES)})\s\d{{5}}(?:-\d{{4}})?\b")


@dataclass(frozen=True)
class AdAttributes:
    prices: list[Price] = field(default_factory=list)
    ages: list[StatedAge] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    # Spans of numbers that are not identifiers: prices, ages, durations, times, dates,
    # heights and measurements, ad ids, ZIP codes after a state.
    decoys: list[tuple[int, int]] = field(default_factory=list)

    def regions(self) -> list[str]:
        """Countries the ad names, most named first (its phones are read there first)."""
        counts: dict[str, int] = {}
        for loc in self.locations:
            if loc.country:
                counts[loc.country] = counts.get(loc.country, 0) + 1
        return sorted(counts, key=lambda c: -counts[c])


def _scoped(pattern: re.Pattern[str]) -> str:
    """A pattern's text for an alternation, its leading (?i) made a scoped group."""
    text = pattern.pattern
    return f"(?i:{text[4:]})" if text.startswith("(?i)") else text


# Every number-bearing attribute and decoy in one alternation, read in one pass over the
# parts of the text near digits: the first alternative that matches at a place wins.
_NUMERIC = re.compile(
    "|".join(
        f"(?P<{name}>{_scoped(pattern)})"
        for name, pattern in (
            ("price", _PRICE),
            ("age", _AGE),
            ("date", _DATE),
            ("time", _TIME),
            ("body", _BODY),
            ("duration", _DURATION),
            ("ad_id", _AD_ID),
            ("zip", _POSTCODE_AFTER_STATE),
        )
    )
)


# Words and symbols that can stand just before the digits of a price, age, size, ad id or
# ZIP code ("$200", "age 22", "size 8", "ad #123", "WA 98101").
_LEAD_WORDS = frozenset(
    [
        "usd",
        "gbp",
        "eur",
        "euro",
        "euros",
        "dollar",
        "dollars",
        "bucks",
        "pound",
        "pounds",
        "quid",
        "peso",
        "pesos",
        "mxn",
        "cad",
        "aud",
        "chf",
        "age",
        "aged",
        "âge",
        "agee",
        "âgée",
        "edad",
        "tengo",
        "j'ai",
        "i'm",
        "im",
        "am",
        "soy",
        "size",
        "taille",
        "talla",
        "bust",
        "waist",
        "hips",
        "bra",
        "ad",
        "post",
        "posting",
        "listing",
        "ref",
        "reference",
        "annonce",
        "anuncio",
        "id",
        "order",
        "ticket",
        "n°",
        "nº",
        "no",
        "number",
    ]
) | {s.lower() for s in _US_STATES}
_LEAD_TOKEN = re.compile(r"[$£€#]|[^\W\d_]+(?:'[^\W\d_]+)?[°º]?")
_LEAD_REACH = 18


def _numeric_matches(text: str) -> list[re.Match[str]]:
    """Matches of _NUMERIC, tried only where they can start: at each run of digits, and at
    the words or symbols just before it (a handful of attempts per number, not one per
    character)."""
    out: list[re.Match[str]] = []
    covered = 0
    for run in _DIGITS.finditer(text):
        start = run.start()
        if start < covered:
            continue
        tries = [
            m.start()
            for m in _LEAD_TOKEN.finditer(text, max(covered, start - _LEAD_REACH), start)
            if m.group() in "$£€#" or m.group().lower() in _LEAD_WORDS
        ]
        tries.append(start)
        for position in tries:
            match = _NUMERIC.match(text, position)
            if match is not None and match.end() > start:
                out.append(match)
                covered = match.end()
                break
    return out


def numbers(text: str) -> tuple[list[Price], list[StatedAge], list[tuple[int, int]]]:
    """Prices, stated ages and the spans of all numbers that are not identifiers (prices,
    ages, durations, times, dates, heights and measurements, ad ids, ZIP codes after a
    state)."""
    price_list: list[Price] = []
    ages: list[StatedAge] = []
    decoys: list[tuple[int, int]] = []
    for match in _numeric_matches(text):
        decoys.append(match.span())
        if match.lastgroup == "price":
            price_list.append(_price(match))
        elif match.lastgroup == "age":
            age = int(match.group("a1") or match.group("a2"))
            if 12 <= age <= 70:
                ages.append(StatedAge(age, match.span()))
    return price_list, ages, decoys


def ad_attributes(text: str, *, folded: str | None = None) -> AdAttributes:
    """Prices, stated ages, possible-minor wording, places and decoy spans of an ad."""
    folded = fold(text) if folded is None else folded
    price_list, ages, decoys = numbers(folded)
    return AdAttributes(
        prices=price_list,
        ages=ages,
        indicators=minor_indicators(folded, ages),
        locations=locations(folded),
        decoys=decoys,
    )
