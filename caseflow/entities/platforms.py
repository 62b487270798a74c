"""How ads name messaging and social platforms, and the handles written after them:
"WA", "W/A", "wtsp", "tele gram", "TG", 👻, "IG", "Whatsapp me:", arrows and emoji before
the handle, and profile links (t.me/x, wa.me/447..., onlyfans.com/x).

Pure functions over folded text (textfold.fold), no I/O. The platform names returned are
the canonical ones of normalize (whatsapp, telegram, signal, snapchat, instagram, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caseflow.entities.adattributes import us_state_after_city
from caseflow.entities.textfold import is_number_word

# How ads write each platform's name (lower case; two-word forms with one space). Short or
# ambiguous forms are in _WEAK: they need a separator (":", "-", "@", an arrow or emoji) or
# a phone number right after them.
_NAMES: dict[str, tuple[str, ...]] = {
    "whatsapp": (
        "whatsapp",
        "whatsap",
        "whatsaap",
        "whatapp",
        "watsapp",
        "watsap",
        "wattsapp",
        "whats app",
        "wats app",
        "whats ap",
        "wassap",
        "wasap",
        "guasap",
        "wsp",
        "wtsp",
        "wtspp",
        "wapp",
        "wa",
        "w/a",
        "w.a",
        "w.a.",
        "whats",
        "wats",
        "whtsapp",
        "wtsapp",
        "wsapp",
        "wsap",
        "watsap",
    ),
    "telegram": (
        "telegram",
        "télégram",
        "telegrama",
        "tele gram",
        "tlgrm",
        "tgram",
        "tg",
        "tele",
        "✈",
    ),
    "signal": ("signal", "sgnl", "sig"),
    "snapchat": ("snapchat", "snap chat", "snap", "snp", "sc", "👻"),
    "instagram": ("instagram", "insta gram", "insta", "ig"),
    "onlyfans": ("onlyfans", "only fans", "onlyfan", "of", "0f"),
    "kik": ("kik", "kik messenger"),
    "wechat": ("wechat", "we chat", "weixin", "wx"),
    "line": ("line", "line id"),
    "viber": ("viber",),
    "wickr": ("wickr", "wickr me", "wickrme"),
    "threema": ("threema",),
    "tiktok": ("tiktok", "tik tok"),
    "x": ("twitter",),
    "skype": ("skype",),
    "session": ("session id",),
}
_FORMS = {form: platform for platform, forms in _NAMES.items() for form in forms}
_FIRST_WORDS = {form.split(" ")[0] for form in _FORMS}
# Other misspellings of WhatsApp: whtsapp, wtsapp, watsap, wsapp...
_WHATSAPP_LIKE = re.compile(r"wh?a?t?t?s+a+p+s?")
_TOKEN = re.compile(r"(?i)w\s?/\s?a(?![^\W_])|w\.a\.?|[^\W_]+|[✈👻]")
# After a short name, what may start its handle or number: a separator, an @, a digit, a
# symbol or emoji, or a word with a digit, "_" or "." in it.
_WEAK_NEXT = re.compile(r"\s{0,3}(?:[:=\-@>(+\[\x00/&,]|\d|[^\x00-\x7f]|[\w.]*[_.\d])")
_WEAK = {
    "wa",
    "w/a",
    "w.a",
    "w.a.",
    "tg",
    "sig",
    "sc",
    "ig",
    "of",
    "0f",
    "wx",
    "line",
    "whats",
    "snp",
    "tele",
}
# Handles on these platforms are phone numbers (or may be).
PHONE_LABELS = {"whatsapp", "viber", "signal", "telegram", "wechat", "line"}
_PHONE_ONLY = {"whatsapp", "viber"}

# Between a label and its handle or number: "me", "only", ":", arrows, emoji, brackets.
_EMOJI = "\u2190-\u2bff\u2e00-\u2e7f\U0001f000-\U0001faff\x00"
_FILLER_WORDS = (
    r"me|moi|only|solo|seulement|uniquement|at|on|sur|en|por|id|is|es|est|number|num|nr|"
    r"no|#|contact|add|ajoute|agrega|text|txt|call|msg|message|dm|here|aqui|ici|"
    r"or|ou|o|y|et|and|username|user|handle|pseudo|usuario|name|nom|nombre"
)
# Not ")" or "]": "(WhatsApp only)" ends there.
_SEP = rf"(?:[\s:=\->»→⇒➡➔👉/&,]|[{_EMOJI}]|\(|\[|(?<![\w])(?:{_FILLER_WORDS})(?![\w]))*"
_SEP_RE = re.compile(rf"(?i){_SEP}")
_STRONG_SEP = re.compile(rf"[:=\->»→⇒➡➔👉@\(\[{_EMOJI}]")
_HANDLE = re.compile(r"@?(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,62}[A-Za-z0-9_])?)")
_NOT_HANDLES = {
    "me",
    "only",
    "on",
    "at",
    "or",
    "and",
    "the",
    "for",
    "pls",
    "please",
    "now",
    "here",
    "msg",
    "text",
    "call",
    "dm",
    "add",
    "id",
    "is",
    "my",
    "to",
    "you",
    "u",
    "y",
    "o",
    "et",
    "ou",
    "en",
    "sur",
    "por",
    "solo",
    "seulement",
    "number",
    "contact",
    "available",
    "disponible",
    "inbox",
    "snap",
    "snapchat",
    "telegram",
    "whatsapp",
    "insta",
    "kik",
    "wa",
    "ig",
    "tg",
    "signal",
    "onlyfans",
    "same",
    "too",
    "also",
    "first",
    "avail",
}


# Words after a platform name that are no handle: times, prices, ages ("snap me at 10pm").
_NOT_A_HANDLE = re.compile(r"(?i)\d+(?:[a-z]{0,3})|\d+[:h.]\d+")
_HANDLE_LIKE = re.compile(r"[0-9_.]")


@dataclass(frozen=True)
class Label:
    """A platform named in the text: `span` of the name, `after` where what follows the
    name and its separators starts, and whether a strong separator (":", arrow, emoji,
    "@") stands between them."""

    platform: str
    span: tuple[int, int]
    after: int
    strong: bool
    weak_name: bool


@dataclass(frozen=True)
class HandleFind:
    platform: str
    handle: str
    span: tuple[int, int]  # the label and the handle


def labels(folded: str) -> list[Label]:
    """Platform names in the text, except a US state code after a city (Bellevue WA).

    Names joined by "/", "or", "&" ("WhatsApp/Telegram: ...") are each a label; the first
    one's `after` is where the next one starts. Not inside a handle, a path or a domain
    name (@tg_rose, example.org/snap, wa.me).
    """
    tokens = list(_TOKEN.finditer(folded))
    out: list[Label] = []
    ends: set[int] = set()
    skip_until = -1
    for k, token in enumerate(tokens):
        if token.start() < skip_until:
            continue
        name, end = token.group(), token.end()
        form = name.lower()
        if form not in _FIRST_WORDS and not (form[:1] == "w" and _WHATSAPP_LIKE.fullmatch(form)):
            continue
        if k + 1 < len(tokens) and folded[end : tokens[k + 1].start()] == " ":
            pair = f"{form} {tokens[k + 1].group().lower()}"
            if pair in _FORMS:
                name, end, form = (
                    folded[token.start() : tokens[k + 1].end()],
                    tokens[k + 1].end(),
                    pair,
                )
        platform = _FORMS.get(form)
        if platform is None and form[:1] == "w" and _WHATSAPP_LIKE.fullmatch(form):
            platform = "whatsapp"
        if platform is None:
            continue
        if (
            form in _WEAK
            and not _WEAK_NEXT.match(folded, end)
            and not (k + 1 < len(tokens) and is_number_word(tokens[k + 1].group()))
        ):
            continue  # "lots of fun": a short name must be followed by a sign of a handle
        start = token.start()
        before = folded[start - 1 : start]
        if before in ("@", ".") or (before == "/" and start - 1 not in ends):
            continue
        if folded[end : end + 1] == "." and folded[end + 1 : end + 2].isalnum():
            continue  # a domain name: wa.me, onlyfans.com
        label = _label(folded, platform, name, start, end)
        if label is not None:
            out.append(label)
            ends.add(end)
            skip_until = end
    return out


def _label(folded: str, platform: str, name: str, start: int, end: int) -> Label | None:
    weak = name.lower() in _WEAK
    if weak and name.isupper() and len(name) == 2 and us_state_after_city(folded, start):
        return None
    sep = _SEP_RE.match(folded, end)
    after = sep.end() if sep else end
    gap = folded[end:after]
    strong = bool(_STRONG_SEP.search(gap)) or folded[after : after + 1] == "@"
    return Label(platform, (start, end), after, strong, weak)


def handles(folded: str, found: list[Label]) -> list[HandleFind]:
    """Handles written after platform names ("snap: rose.x", "Telegram 👉 @rose")."""
    out = []
    by_start = {label.span[0]: label for label in found}
    for label in found:
        if label.platform in _PHONE_ONLY:
            continue
        # "snap/kik: name": a name followed by another names the same handle.
        chained = label
        for _ in range(4):  # a short list of names, not a chain through the whole text
            if chained.after not in by_start or chained.after == chained.span[0]:
                break
            chained = by_start[chained.after]
        if chained is not label:
            label = Label(label.platform, label.span, chained.after, chained.strong, False)
        match = _HANDLE.match(folded, label.after)
        if match is None:
            continue
        handle = match.group("handle").rstrip(".-")
        if (
            handle.lower() in _NOT_HANDLES
            or len(handle) < 2
            or _NOT_A_HANDLE.fullmatch(handle)
            or is_number_word(handle)  # "signal cinco cero tres...": a spelled number
        ):
            continue
        if label.weak_name and not label.strong and not _HANDLE_LIKE.search(handle):
            continue  # "LOTS OF fun", "IG rose": a weak name needs ":" or a handle-like word
        if label.platform in PHONE_LABELS and sum(ch.isdigit() for ch in handle) >= 6:
            continue  # a number: the phone scanner reads it (spaces, spelled digits...)
        if handle.isdigit():
            continue
        end = match.start("handle") + len(handle)
        out.append(HandleFind(label.platform, handle, (label.span[0], end)))
    return out


# "@candy_luv on insta", "candy_luv (snap)": a handle written before the platform's name.
_HANDLE_BEFORE = re.compile(
    r"(?P<at>@)?(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,62}[A-Za-z0-9_])?)"
    r"\s{0,2}(?:\(\s?|(?:on|via|sur|en|in|sobre)\s+(?:(?:my|mon|ma|mi)\s+)?)$"
)


def handles_before(folded: str, found: list[Label], named: list[HandleFind]) -> list[HandleFind]:
    """Handles written before a platform name that has none after it."""
    with_handle = {h.span[0] for h in named}
    out = []
    for label in found:
        if label.platform in _PHONE_ONLY or label.span[0] in with_handle:
            continue
        match = _HANDLE_BEFORE.search(folded, max(0, label.span[0] - 70), label.span[0])
        if match is None:
            continue
        handle = match.group("handle")
        if not match.group("at") and not _HANDLE_LIKE.search(handle):
            continue  # "message on kik": a word, not a handle
        if handle.lower() in _NOT_HANDLES or is_number_word(handle) or handle.isdigit():
            continue
        if match.start() > 0 and folded[match.start() - 1] in "@.":
            continue
        out.append(HandleFind(label.platform, handle, (match.start(), label.span[1])))
    return out


# Profile links that name an account. Path words that are site pages, not handles, are
# skipped (t.me/joinchat, instagram.com/p/...).
_PROFILE = re.compile(
    r"(?i)(?<![\w.])(?:h[tx]{2}ps?(?::|\[:\])//)?(?:www\.)?"
    r"(?P<host>t\.me|telegram\.me|wa\.me|api\.whatsapp\.com/send\?phone=|instagram\.com|"
    r"tiktok\.com/@|snapchat\.com/add|onlyfans\.com|fansly\.com|x\.com|twitter\.com|kik\.me|"
    r"signal\.me/#p)/?(?P<handle>\+?[A-Za-z0-9_.\-]+)"
)
_PROFILE_PLATFORMS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "wa.me": "whatsapp",
    "api.whatsapp.com/send?phone=": "whatsapp",
    "instagram.com": "instagram",
    "tiktok.com/@": "tiktok",
    "snapchat.com/add": "snapchat",
    "onlyfans.com": "onlyfans",
    "fansly.com": "fansly",
    "x.com": "x",
    "twitter.com": "x",
    "kik.me": "kik",
    "signal.me/#p": "signal",
}
_SITE_PAGES = {"joinchat", "s", "share", "p", "reel", "reels", "explore", "home", "intent", "i"}


@dataclass(frozen=True)
class Profile:
    platform: str
    handle: str
    span: tuple[int, int]  # the whole link
    handle_span: tuple[int, int]


def profiles(folded: str) -> list[Profile]:
    out = []
    for match in _PROFILE.finditer(folded):
        platform = _PROFILE_PLATFORMS[match.group("host").lower()]
        handle = match.group("handle").rstrip(".-")
        if handle.lower() in _SITE_PAGES or not handle:
            continue
        start = match.start("handle")
        end = start + len(handle)
        out.append(Profile(platform, handle, (match.start(), end), (start, end)))
    return out
