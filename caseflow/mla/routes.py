"""Legal-basis resolver: proposes the route for an MLA request from the facts the officer stated,
and explains itself.

The order of preference, the instruments, their checklists and clocks are data
(`caseflow/data/routes.json`, checked at load); this module only knows how to test each
named condition against the facts of one request. A condition answers yes, no or unknown: an
unknown fact blocks only the routes that need it, which then appear as open questions ("would
be preferred if you answer ..."), never as a guess. Must not import flask.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from caseflow import jurisdictions
from caseflow.jurisdictions import Jurisdiction
from caseflow.mla import facts as F
from caseflow.mla.facts import OffenceFacts, RequestFacts

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "routes.json"

# Instrument kinds: an order to a provider, a mutual-recognition instrument, a state-to-state
# request, a direct request to a private entity, a channel (24/7), a voluntary disclosure, or a
# basis cited only in addition to another.
KINDS = ("order", "recognition", "mla", "direct", "channel", "voluntary", "supplement")
NEXT_STEPS = ("obtain", "formal")
# A condition written "?name" is a gate: when it fails, the route does not concern the request
# at all (e.g. "?requested:US" for a request to France) and is not listed as passed over.
GATE = "?"
# Months of maximum penalty that make an offence serious (UNTOC Art. 2(b)) and that open an
# EPOC for traffic or content data (Reg. 2023/1543 Art. 5(4)(a)).
UNTOC_SERIOUS_MONTHS = 48
EPOC_THRESHOLD_MONTHS = 36
# Offence tags listed in Reg. 2023/1543 Art. 5(4)(b) (when committed by means of an information
# system) and 5(4)(c) (terrorism, in any case).
EPOC_LISTED_VIA_IS = frozenset(
    {"child-sexual-abuse", "non-cash-payment-fraud", "information-system-attack"}
)
EPOC_LISTED = frozenset({"terrorism"})


@dataclass(frozen=True)
class BasisFacts:
    """What the resolver decides on. States are ISO alpha-2 codes; `on` is the request date.

    Every fact defaults to unknown. `request_types` is the legacy list of types of assistance
    and fills `measure` and `categories` when those are not given. `bilateral_treaty` names a
    treaty the agency configured for the pair (None: none). `child_offence` is the legacy name
    of `child_exploitation`.
    """

    requesting_state: str
    requested_state: str
    on: date
    request_types: frozenset[str] = frozenset()
    holder_kind: str = F.UNKNOWN
    urgency: str = "normal"
    child_offence: str | bool | None = None
    bilateral_treaty: str | None = None
    measure: str = F.UNKNOWN
    categories: frozenset[str] = frozenset()
    holder_eu_presence: str = F.UNKNOWN
    holder_eu_state: str = ""
    issuing_authority: str = F.UNKNOWN
    offences: tuple[OffenceFacts, ...] = ()
    transnational: str = F.UNKNOWN
    organised_group: str = F.UNKNOWN
    child_exploitation: str = F.UNKNOWN

    def __post_init__(self) -> None:
        # Reuse the fact model's checks so the resolver and the checklists agree on values.
        checked = RequestFacts(
            request_types=frozenset(self.request_types),
            holder_kind=self.holder_kind,
            urgency=self.urgency,
            measure=self.measure,
            data_categories=frozenset(self.categories),
            holder_eu_presence=self.holder_eu_presence,
            issuing_authority_type=self.issuing_authority,
            transnational=self.transnational,
            organised_group=self.organised_group,
            # RequestFacts normalises the legacy boolean answer (True is "yes").
            child_exploitation=(
                self.child_exploitation if self.child_offence is None else self.child_offence  # type: ignore[arg-type]
            ),
        )
        for name, value in (
            ("request_types", checked.request_types),
            ("holder_kind", checked.holder_kind),
            ("urgency", checked.urgency),
            ("measure", checked.measure),
            ("categories", checked.data_categories),
            ("holder_eu_presence", checked.holder_eu_presence),
            ("issuing_authority", checked.issuing_authority_type),
            ("transnational", checked.transnational),
            ("organised_group", checked.organised_group),
            ("child_exploitation", checked.child_exploitation),
            ("child_offence", None),
            ("offences", tuple(self.offences)),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def of(
        cls, request: RequestFacts, *, on: date, bilateral_treaty: str | None = None
    ) -> BasisFacts:
        """The resolver's view of a request's facts."""
        return cls(
            requesting_state=request.requesting_state,
            requested_state=request.requested_state,
            on=on,
            holder_kind=request.holder_kind,
            urgency=request.urgency,
            bilateral_treaty=bilateral_treaty,
            measure=request.measure,
            categories=request.data_categories,
            holder_eu_presence=request.holder_eu_presence,
            holder_eu_state=request.holder_eu_state,
            issuing_authority=request.issuing_authority_type,
            offences=request.offences,
            transnational=request.transnational,
            organised_group=request.organised_group,
            child_exploitation=request.child_exploitation,
        )

    @property
    def emergency(self) -> bool:
        return self.urgency == "emergency"


# -- The instruments table ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistSpec:
    """One required item of an instrument's form: its reference (section letter or article
    item), the field that fills it, when it applies, and whether the reference is confirmed
    against the official text."""

    item: str | None
    field: str
    label: str
    section: str = ""
    when: str | None = None
    within: str | None = None
    confirmed: bool = True
    source: str = ""


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    label: str
    short: str
    kind: str
    recipient: str
    clock: str | None
    directory_role: str | None
    form: str
    notes: tuple[str, ...]
    checklist: tuple[ChecklistSpec, ...]
    treaty: str | None = None

    @property
    def required(self) -> tuple[str, ...]:
        """The fields the checklist names, in order, each once."""
        return tuple(dict.fromkeys(spec.field for spec in self.checklist))


@dataclass(frozen=True)
class Rule:
    instrument: str
    when: tuple[str, ...]
    note: str = ""
    next: str | None = None
    source: str = ""


@dataclass(frozen=True)
class RequirementSpec:
    key: str
    when: tuple[str, ...]
    text: str
    field: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str
    help: str


@dataclass(frozen=True)
class _Table:
    fields: Mapping[str, FieldSpec]
    sets: Mapping[str, tuple[frozenset[str], str]]
    instruments: Mapping[str, InstrumentInfo]
    rules: tuple[Rule, ...]
    supplements: tuple[Rule, ...]
    requirements: tuple[RequirementSpec, ...]
    clocks: Mapping[str, Any]


# -- Conditions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A condition's answer. `why` says why it holds (yes), why not (no) or what is missing
    (unknown); `needs` names the facts that would decide an unknown; `uncertain` names data
    the answer rests on that CaseFlow could not confirm."""

    state: str
    why: str
    needs: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()


def _yes(why: str, uncertain: Iterable[str] = ()) -> Outcome:
    return Outcome("yes", why, uncertain=tuple(uncertain))


def _no(why: str, uncertain: Iterable[str] = ()) -> Outcome:
    return Outcome("no", why, uncertain=tuple(uncertain))


def _unknown(why: str, *needs: str) -> Outcome:
    return Outcome("unknown", why, needs=needs)


@dataclass(frozen=True)
class _Ctx:
    facts: BasisFacts
    a: Jurisdiction
    b: Jurisdiction
    primary: str | None = None


def _name(j: Jurisdiction) -> str:
    return f"{j.name} ({j.code})"


def _set(name: str) -> tuple[frozenset[str], str]:
    return table().sets[name]


def _measure(ctx: _Ctx, arg: str) -> Outcome:
    measure = ctx.facts.measure
    if measure == F.UNKNOWN:
        return _unknown(
            "whether the request preserves or obtains evidence is not stated", "measure"
        )
    words = {"preserve": "preservation is asked", "obtain": "the evidence itself is to be obtained"}
    if measure == arg:
        return _yes(words[arg])
    return _no(
        "only preservation is asked" if measure == "preserve" else "it obtains, not preserves"
    )


def _categories_within(ctx: _Ctx, arg: str) -> Outcome:
    members, text = _set(arg)
    asked = ctx.facts.categories
    if not asked:
        return _unknown("what is sought is not stated", "data_categories")
    outside = sorted(asked - members)
    if outside:
        return _no(f"it can only cover {text}, and {', '.join(outside)} is asked")
    return _yes(f"what is sought ({', '.join(sorted(asked))}) is {text}")


def _categories_include(ctx: _Ctx, arg: str) -> Outcome:
    members, text = _set(arg)
    asked = ctx.facts.categories
    if not asked:
        return _unknown("what is sought is not stated", "data_categories")
    if asked & members:
        return _yes(f"{text} is asked")
    return _no(f"no {text} is asked")


def _holder(ctx: _Ctx, arg: str) -> Outcome:
    members, text = _set(arg)
    kind = ctx.facts.holder_kind
    if kind == F.UNKNOWN:
        return _unknown("who holds the data is not stated", "holder_kind")
    if kind in members:
        return _yes(f"the holder is {text}")
    return _no(f"the holder ({kind.replace('-', ' ')}) is not {text}")


def _emergency(ctx: _Ctx, arg: str | None) -> Outcome:
    if ctx.facts.emergency:
        return _yes("there is a significant and imminent risk to life or physical integrity")
    return _no("no emergency is stated")


def _e_evidence_order(ctx: _Ctx, arg: str | None) -> Outcome:
    """Reg. 2023/1543 Art. 3(1)-(2): an order to a designated establishment or legal
    representative located in another Member State bound by the Regulation."""
    f, a = ctx.facts, ctx.a
    since = jurisdictions.E_EVIDENCE_APPLIES_FROM
    if f.on < since:
        return _no(f"the e-Evidence Regulation applies only from {since}")
    if not a.e_evidence:
        return _no(f"{_name(a)} does not take part in the e-Evidence Regulation")
    presence = f.holder_eu_presence
    if presence == F.UNKNOWN:
        return _unknown(
            "whether the provider has a designated establishment or legal representative in "
            "the EU is not stated",
            "holder_eu_presence",
        )
    if presence == "none":
        return _no("the provider has no designated establishment or legal representative in the EU")
    if not f.holder_eu_state:
        return _unknown(
            "the state of the provider's EU establishment or representative is not stated",
            "holder_eu_state",
        )
    where = jurisdictions.get(f.holder_eu_state)
    what = presence.replace("-", " ")
    if not where.e_evidence:
        return _no(
            f"the provider's {what} is in {_name(where)}, which is not bound by the Regulation"
        )
    if where.code == a.code:
        return _no(
            f"the provider's {what} is in {_name(a)} itself: an EPOC goes only to another "
            "Member State (Art. 3(1)); use a domestic order"
        )
    return _yes(
        f"the provider's {what} is in {_name(where)}, bound by Regulation (EU) 2023/1543 on "
        f"{f.on} as is {a.code}"
    )


def validation_needed(facts: BasisFacts | RequestFacts) -> bool | None:
    """Whether an EPOC/EPOC-PR issued by this authority needs validation (Art. 4).

    None while the issuing authority type (or, for production, what is sought) is unknown.
    """
    authority, measure, asked = _authority_facts(facts)
    if authority == F.UNKNOWN:
        return None
    if measure == "preserve" or (asked and asked <= _set("subscriber_only")[0]):
        return authority == "other"  # Art. 4(1)(b), 4(3)(b)
    if not asked:
        return None
    return authority not in F.JUDICIAL  # Art. 4(2)(b): only judges issue traffic/content orders


def allowed_validators(facts: BasisFacts | RequestFacts) -> frozenset[str]:
    """Who may validate: a judge, court or investigating judge, and for subscriber,
    identification and preservation orders also a public prosecutor (Art. 4(1)-(3))."""
    _, measure, asked = _authority_facts(facts)
    if measure == "preserve" or (asked and asked <= _set("subscriber_only")[0]):
        return F.JUDICIAL | {"prosecutor"}
    return F.JUDICIAL


def emergency_validation(facts: BasisFacts | RequestFacts) -> bool:
    """A non-judicial emergency order issued without prior validation, to be validated within
    48 hours (Art. 4(5)): EPOC for subscriber/identification data, or an EPOC-PR."""
    authority, measure, asked = _authority_facts(facts)
    if authority != "other" or not _is_emergency(facts):
        return False
    return measure == "preserve" or bool(asked and asked <= _set("subscriber_only")[0])


def _is_emergency(facts: BasisFacts | RequestFacts) -> bool:
    return facts.urgency == "emergency"


def _authority_facts(facts: BasisFacts | RequestFacts) -> tuple[str, str, frozenset[str]]:
    if isinstance(facts, BasisFacts):
        return facts.issuing_authority, facts.measure, facts.categories
    return facts.issuing_authority_type, facts.measure, facts.data_categories


def _epoc_authority(ctx: _Ctx, arg: str | None) -> Outcome:
    f = ctx.facts
    if f.issuing_authority == F.UNKNOWN:
        return _unknown("the type of issuing authority is not stated", "issuing_authority_type")
    needed = validation_needed(f)
    if needed is None:
        return _unknown("what is sought is not stated", "data_categories")
    who = f.issuing_authority.replace("-", " ")
    if not needed:
        return _yes(f"a {who} may issue it without validation (Art. 4)")
    validators = _or(allowed_validators(f))
    if emergency_validation(f):
        return _yes(
            f"a {who} may issue it in an emergency without prior validation; it must be "
            f"validated by a {validators} within 48 hours (Art. 4(5))"
        )
    return _yes(f"issued by a {who}, it must first be validated by a {validators} (Art. 4)")


def _or(kinds: Iterable[str]) -> str:
    """ "a judge, court or investigating judge" in the order the Regulation names them."""
    named = [k.replace("-", " ") for k in F.AUTHORITY_TYPES if k in set(kinds)]
    return ", ".join(named[:-1]) + f" or {named[-1]}" if len(named) > 1 else "".join(named)


def _epoc_threshold(ctx: _Ctx, arg: str | None) -> Outcome:
    """Reg. 2023/1543 Art. 5(3)-(4)."""
    f = ctx.facts
    subscriber = _set("subscriber_only")[0]
    if f.categories and f.categories <= subscriber:
        return _yes("subscriber and identification data may be ordered for any offence (Art. 5(3))")
    if not f.offences:
        return _unknown("no offence is stated", "offences")
    missing: list[str] = []
    for offence in f.offences:
        if offence.tags & EPOC_LISTED:
            return _yes(f"{offence.name} is a terrorist offence listed in Art. 5(4)(c)")
        if offence.tags & EPOC_LISTED_VIA_IS:
            if offence.by_information_system == "yes":
                return _yes(
                    f"{offence.name} is listed in Art. 5(4)(b) and was committed by means of an "
                    "information system"
                )
            if offence.by_information_system == F.UNKNOWN:
                missing.append("by_information_system")
        penalty = offence.penalty
        if penalty is None:
            missing.append("maximum_penalty")
        elif penalty.at_least(EPOC_THRESHOLD_MONTHS):
            return _yes(
                f"{offence.name} carries a maximum of {penalty} in {ctx.a.code}, at least 3 "
                "years (Art. 5(4)(a))"
            )
    if missing:
        return _unknown(
            "traffic or content data need an offence punishable by at least 3 years or listed "
            "in Art. 5(4); the maximum penalty or the means of the offence is not stated",
            *dict.fromkeys(missing),
        )
    return _no(
        "no offence is punishable by at least 3 years or listed in Art. 5(4), as traffic or "
        "content data require"
    )


def _both_party(ctx: _Ctx, arg: str) -> Outcome:
    f = ctx.facts
    statuses = [(j, j.party(arg)) for j in (ctx.a, ctx.b)]
    short = statuses[0][1].short
    first = statuses[0][1]
    if first.treaty_in_force_from is None or f.on < first.treaty_in_force_from:
        extra = f" ({first.entry_into_force})" if first.entry_into_force else ""
        return _no(f"the {short} is not in force{extra}")
    uncertain = [
        f"{j.code}: {short} status {s.certainty()}" for j, s in statuses if not s.confirmed
    ]
    unknown = [j for j, s in statuses if s.binding(f.on) is None]
    outside = [j for j, s in statuses if s.binding(f.on) is False]
    if outside:
        names = " and ".join(_name(j) for j in outside)
        verb = "is not a party" if len(outside) == 1 else "are not parties"
        return _no(f"{names} {verb} to the {short}", uncertain)
    if unknown:
        names = " and ".join(_name(j) for j in unknown)
        return Outcome(
            "unknown",
            f"CaseFlow's directory does not say whether {names} is a party to the {short}",
            needs=(f"directory:{arg}",),
            uncertain=tuple(uncertain),
        )
    return _yes(f"both {ctx.a.code} and {ctx.b.code} are parties to the {short}", uncertain)


def _not_reserved(ctx: _Ctx, arg: str) -> Outcome:
    treaty, reservation = arg.split(":")
    status = ctx.b.party(treaty)
    if reservation in status.reservations:
        return _no(f"{_name(ctx.b)} {status.reservations[reservation]}")
    return _yes(f"{ctx.b.code} has made no reservation on {reservation} in CaseFlow's data")


def _both_eio(ctx: _Ctx, arg: str | None) -> Outcome:
    a, b = ctx.a, ctx.b
    outside = [j for j in (a, b) if not j.eio]
    if not outside:
        return _yes(f"both {a.code} and {b.code} take part in the European Investigation Order")
    names = " and ".join(_name(j) for j in outside)
    verb = "does" if len(outside) == 1 else "do"
    return _no(f"{names} {verb} not take part in the EIO")


def _both_eu(ctx: _Ctx, arg: str | None) -> Outcome:
    if ctx.a.eu_member and ctx.b.eu_member:
        return _yes(f"both {ctx.a.code} and {ctx.b.code} are EU member states")
    return _no(f"{ctx.a.code} and {ctx.b.code} are not both EU member states")


def _pair_treaty(ctx: _Ctx, arg: str) -> Outcome:
    treaty = jurisdictions.pair_treaty(arg)
    name = table().instruments[arg].short if arg in table().instruments else arg
    uncertain = () if treaty.confirmed else (f"{name}: treaty data unconfirmed",)
    if treaty.binds(ctx.a.code, ctx.b.code, ctx.facts.on):
        return _yes(f"the {name} binds {ctx.a.code} and {ctx.b.code}", uncertain)
    return _no(f"the {name} does not bind {ctx.a.code} and {ctx.b.code}")


def _requested(ctx: _Ctx, arg: str) -> Outcome:
    if ctx.b.code == arg:
        return _yes(f"the requested state is {_name(ctx.b)}")
    return _no(f"the requested state is not {arg}")


def _bilateral(ctx: _Ctx, arg: str | None) -> Outcome:
    treaty = ctx.facts.bilateral_treaty
    if treaty:
        return _yes(f"the agency has configured {treaty}")
    return _no(f"no bilateral treaty is configured for {ctx.a.code}-{ctx.b.code}")


def _untoc_scope(ctx: _Ctx, arg: str | None) -> Outcome:
    """UNTOC Arts. 2, 3(1)-(2), 18(1): a serious crime (or Protocol offence) that is
    transnational and involves an organised criminal group, as the officer states."""
    parties = _both_party(ctx, "UNTOC")
    if parties.state != "yes":
        return parties
    f = ctx.facts
    needs: list[str] = []
    for key, text in (
        ("transnational", "transnational (Art. 3(2))"),
        ("organised_group", "committed by an organised criminal group (Art. 2(a))"),
    ):
        value = getattr(f, key)
        if value == "no":
            return _no(f"the offence is not {text}, as stated")
        if value == F.UNKNOWN:
            needs.append(key)
    serious = _untoc_serious(ctx)
    if serious.state == "no":
        return serious
    needs += list(serious.needs)
    if needs:
        return Outcome(
            "unknown",
            "UNTOC scope (transnational offence, organised criminal group, serious crime) is not "
            "stated",
            needs=tuple(dict.fromkeys(needs)),
            uncertain=parties.uncertain,
        )
    return _yes(
        f"the officer states the offence is transnational and involves an organised criminal "
        f"group, and {serious.why}",
        parties.uncertain,
    )


def _untoc_serious(ctx: _Ctx) -> Outcome:
    f = ctx.facts
    if not f.offences:
        return _unknown("no offence is stated", "offences")
    unknown = False
    for offence in f.offences:
        if "trafficking-in-persons" in offence.tags:
            tip = _both_party(ctx, "TIP")
            if tip.state == "yes":
                return _yes(
                    f"{offence.name} is an offence under the Trafficking in Persons Protocol"
                )
        penalty = offence.penalty
        if penalty is None:
            unknown = True
        elif penalty.at_least(UNTOC_SERIOUS_MONTHS):
            return _yes(f"{offence.name} is a serious crime (maximum {penalty}, Art. 2(b))")
    if unknown:
        return _unknown("the maximum penalty is not stated", "maximum_penalty")
    return _no("no offence is a serious crime (at least 4 years) or a Protocol offence")


def _child(ctx: _Ctx, arg: str | None) -> Outcome:
    value = ctx.facts.child_exploitation
    if value == "yes":
        return _yes(
            "the offences concern the sale of children, child prostitution or child "
            "sexual abuse material, as stated"
        )
    if value == "no":
        return _no("the offences do not concern the sale or sexual exploitation of children")
    return _unknown(
        "whether the offences concern the sale or sexual exploitation of children is not stated",
        "child_exploitation",
    )


def _primary(ctx: _Ctx, arg: str) -> Outcome:
    if ctx.primary == arg:
        return _yes(f"the main basis is {table().instruments[arg].short}")
    return _no(f"the main basis is not {arg}")


def _primary_kind(ctx: _Ctx, arg: str) -> Outcome:
    if ctx.primary is not None and table().instruments[ctx.primary].kind == arg:
        return _yes("the main basis is a mutual assistance request between states")
    return _no("the main basis is not a mutual assistance request between states")


@dataclass(frozen=True)
class _Condition:
    check: Callable[[_Ctx, Any], Outcome]
    arg: str | None = None  # what the argument names: "set", "treaty", "pair", ...


CONDITIONS: Mapping[str, _Condition] = {
    "emergency": _Condition(_emergency),
    "measure": _Condition(_measure, "measure"),
    "categories_within": _Condition(_categories_within, "set"),
    "categories_include": _Condition(_categories_include, "set"),
    "holder": _Condition(_holder, "set"),
    "e_evidence_order": _Condition(_e_evidence_order),
    "epoc_authority": _Condition(_epoc_authority),
    "epoc_threshold": _Condition(_epoc_threshold),
    "both_party": _Condition(_both_party, "treaty"),
    "not_reserved": _Condition(_not_reserved, "reservation"),
    "both_eio": _Condition(_both_eio),
    "both_eu": _Condition(_both_eu),
    "pair_treaty": _Condition(_pair_treaty, "pair"),
    "requested": _Condition(_requested, "state"),
    "bilateral_treaty": _Condition(_bilateral),
    "untoc_scope": _Condition(_untoc_scope),
    "child_exploitation": _Condition(_child),
    "primary": _Condition(_primary, "instrument"),
    "primary_kind": _Condition(_primary_kind, "kind"),
}


# -- Loading and checking the data -------------------------------------------------------------


def _check_condition(spec: str, sets: Mapping[str, Any], instruments: Mapping[str, Any]) -> None:
    name, _, arg = spec.removeprefix(GATE).partition(":")
    cond = CONDITIONS.get(name)
    if cond is None:
        raise ValueError(f"instruments data: unknown condition {spec!r}")
    if (cond.arg is None) != (arg == ""):
        raise ValueError(f"instruments data: condition {spec!r} takes {cond.arg or 'no argument'}")
    valid = {
        "measure": lambda v: v in ("preserve", "obtain"),
        "set": lambda v: v in sets,
        "treaty": lambda v: v in jurisdictions.treaty_codes(),
        "pair": lambda v: v in jurisdictions.pair_treaty_codes(),
        "state": lambda v: jurisdictions.canonical_code(v) == v,
        "instrument": lambda v: v in instruments,
        "kind": lambda v: v in KINDS,
        "reservation": lambda v: (
            v.count(":") == 1 and v.split(":")[0] in jurisdictions.treaty_codes()
        ),
    }
    if cond.arg is not None and not valid[cond.arg](arg):
        raise ValueError(f"instruments data: condition {spec!r} has an unknown argument")


def build_table(data: Mapping[str, Any]) -> _Table:
    """Check a parsed instruments file. Raises ValueError naming what is inconsistent."""
    # Both read this table, so they are imported when it is built, not at module load.
    from caseflow.mla import checklists, lifecycle

    fields = {
        key: FieldSpec(key, spec["label"], spec["kind"], spec.get("help", ""))
        for key, spec in data["fields"].items()
    }
    bad_kinds = {f.key: f.kind for f in fields.values() if f.kind not in checklists.FIELD_KINDS}
    if bad_kinds:
        raise ValueError(f"instruments data: fields of unknown kind {bad_kinds}")
    sets = {name: (frozenset(spec["members"]), spec["text"]) for name, spec in data["sets"].items()}
    for name, (members, _) in sets.items():
        if not members <= set(F.CATEGORIES) | set(F.HOLDER_KINDS):
            raise ValueError(f"instruments data: set {name} has unknown members")
    groups = data.get("groups", {})
    instruments = {}
    for code, item in data["instruments"].items():
        if item["kind"] not in KINDS:
            raise ValueError(f"instruments data: {code} has unknown kind {item['kind']!r}")
        if item["clock"] is not None and item["clock"] not in data["clocks"]:
            raise ValueError(f"instruments data: {code} names unknown clock {item['clock']!r}")
        role = item.get("directory_role")
        if role is not None and role not in jurisdictions.ROLES:
            raise ValueError(f"instruments data: {code} names unknown directory role {role!r}")
        treaty = item.get("treaty")
        if treaty is not None and treaty not in jurisdictions.treaty_codes():
            raise ValueError(f"instruments data: {code} names unknown treaty {treaty!r}")
        specs: list[ChecklistSpec] = []
        default_confirmed = bool(item.get("items_confirmed", True))
        for entry in item["checklist"]:
            if isinstance(entry, str):
                if not entry.startswith("@") or entry[1:] not in groups:
                    raise ValueError(f"instruments data: {code} names unknown group {entry!r}")
                entries = groups[entry[1:]]
            else:
                entries = [entry]
            for e in entries:
                if e["field"] not in fields:
                    raise ValueError(
                        f"instruments data: {code} requires unknown fields {e['field']}"
                    )
                when = e.get("when")
                if when is not None and when not in checklists.PREDICATES:
                    raise ValueError(f"instruments data: {code} uses unknown predicate {when!r}")
                within = e.get("within")
                if within is not None and within not in sets:
                    raise ValueError(f"instruments data: {code} names unknown set {within!r}")
                specs.append(
                    ChecklistSpec(
                        item=e.get("item"),
                        field=e["field"],
                        label=fields[e["field"]].label,
                        section=e.get("section", ""),
                        when=when,
                        within=within,
                        confirmed=bool(e.get("confirmed", default_confirmed)),
                        source=e.get("source", ""),
                    )
                )
        instruments[code] = InstrumentInfo(
            code=code,
            label=item["label"],
            short=item["short"],
            kind=item["kind"],
            recipient=item["recipient"],
            clock=item["clock"],
            directory_role=role,
            form=item.get("form", ""),
            notes=tuple(item.get("notes", ())),
            checklist=tuple(specs),
            treaty=treaty,
        )

    def rules(key: str) -> tuple[Rule, ...]:
        out = []
        for rule in data[key]:
            if rule["instrument"] not in instruments:
                raise ValueError(f"instruments data: {key} names {rule['instrument']!r}")
            for spec in rule["when"]:
                _check_condition(spec, sets, instruments)
            nxt = rule.get("next")
            if nxt is not None and nxt not in NEXT_STEPS:
                raise ValueError(f"instruments data: {key} has unknown next step {nxt!r}")
            out.append(
                Rule(
                    rule["instrument"],
                    tuple(rule["when"]),
                    rule.get("note", ""),
                    nxt,
                    rule.get("source", ""),
                )
            )
        return tuple(out)

    requirements = []
    for req in data.get("requirements", []):
        for spec in req["when"]:
            _check_condition(spec, sets, instruments)
        if req.get("field") is not None and req["field"] not in fields:
            raise ValueError(f"instruments data: requirement {req['key']} names unknown field")
        requirements.append(
            RequirementSpec(req["key"], tuple(req["when"]), req["text"], req.get("field"))
        )
    table = _Table(
        fields,
        sets,
        instruments,
        rules("rules"),
        rules("supplements"),
        tuple(requirements),
        data["clocks"],
    )
    if not table.rules or table.rules[-1].when:
        raise ValueError("instruments data: the last rule must be an unconditional fallback")
    lifecycle.check_profiles(table.clocks)
    return table


@cache
def table() -> _Table:
    return build_table(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def instrument(code: str) -> InstrumentInfo:
    """The instrument with this code; KeyError if unknown."""
    return table().instruments[code]


def instrument_codes() -> tuple[str, ...]:
    return tuple(table().instruments)


def field_spec(key: str) -> FieldSpec:
    return table().fields[key]


# -- Proposals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One proposed instrument and the facts that made it apply."""

    code: str
    label: str
    reasons: tuple[str, ...]
    short: str = ""
    notes: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class OpenQuestion:
    """A more preferred route that depends on facts nobody stated yet."""

    code: str
    short: str
    needs: tuple[str, ...]
    why: str
    supplement: bool = False

    def text(self) -> str:
        asks = "; ".join(_need_label(n) for n in self.needs)
        if self.supplement:
            return f"{self.short} could also be cited once it is answered: {asks} ({self.why})"
        return f"{self.short} would be preferred if it is answered: {asks} ({self.why})"


@dataclass(frozen=True)
class Requirement:
    key: str
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Proposal:
    """The resolver's answer.

    `primary` is the main basis, `supplements` bases cited with it, `next_step` the route of
    the request that should follow (e.g. production after a preservation, the formal request
    after an emergency channel). `open_questions` list preferred routes blocked by unknown
    facts, `passed_over` why each preferred route does not apply, `requirements` what the
    request must contain because of this route, and `uncertain` the unconfirmed directory data
    the answer rests on. `explanation()` is for the officer; `basis_statement()` for the
    recipient.
    """

    primary: Choice
    supplements: tuple[Choice, ...] = ()
    passed_over: tuple[str, ...] = field(default=())
    open_questions: tuple[OpenQuestion, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    uncertain: tuple[str, ...] = ()
    next_step: Proposal | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.primary.code, *(s.code for s in self.supplements))

    @property
    def needs(self) -> tuple[str, ...]:
        """Every fact whose answer could change the proposal, in order."""
        return tuple(dict.fromkeys(n for q in self.open_questions for n in q.needs))

    def basis_statement(self) -> str:
        """The legal basis as the recipient reads it: instruments only, no reasoning."""
        return "; ".join([self.primary.label, *(s.label for s in self.supplements)])

    def explanation(self) -> str:
        """Plain text for the officer: why this route, what follows, why not the preferred
        ones, what is still open and what is unconfirmed."""
        lines = [f"{self.primary.label}: " + "; ".join(self.primary.reasons) + "."]
        lines += [f"Note: {n}" for n in self.primary.notes]
        lines += [f"Also cite {s.label}: " + "; ".join(s.reasons) + "." for s in self.supplements]
        if self.next_step is not None:
            nxt = self.next_step
            lines.append(
                f"Then: {nxt.primary.label} for the follow-up request: "
                + "; ".join(nxt.primary.reasons)
                + "."
            )
            lines += [f"Then also cite {s.label}." for s in nxt.supplements]
            lines += [f"Required then: {r.text}" for r in nxt.requirements]
        lines += [f"Required: {r.text}" for r in self.requirements]
        lines += [f"Open: {q.text()}." for q in self.open_questions]
        lines += [f"Not used: {text}." for text in self.passed_over]
        lines += [f"Unconfirmed: {text}." for text in self.uncertain]
        return "\n".join(lines)


def _need_label(key: str) -> str:
    if key.startswith("directory:"):
        return f"party status for the {key.split(':', 1)[1]} (add it to the directory)"
    spec = table().fields.get(key)
    if spec is not None:
        return spec.label.lower()
    return {
        "by_information_system": "whether the offence was committed by means of an "
        "information system"
    }.get(key, key.replace("_", " "))


def _evaluate(when: Iterable[str], ctx: _Ctx) -> tuple[str, list[str], str, list[str], list[str]]:
    """(state, reasons, why_not, needs, uncertain) of a list of conditions. All conditions are
    evaluated so that a "no" anywhere wins over an unknown earlier; a failed gate gives the
    state "gate" (the route is not relevant to this request at all)."""
    reasons: list[str] = []
    needs: list[str] = []
    unknown_why: list[str] = []
    uncertain: list[str] = []
    why_not = ""
    for spec in when:
        gate = spec.startswith(GATE)
        name, _, arg = spec.removeprefix(GATE).partition(":")
        out = CONDITIONS[name].check(ctx, arg or None)
        if gate and out.state == "no":
            return "gate", reasons, out.why, [], uncertain
        uncertain += out.uncertain
        if out.state == "no" and not why_not:
            why_not = out.why
        elif out.state == "unknown":
            needs += out.needs
            unknown_why.append(out.why)
        elif out.state == "yes":
            reasons.append(out.why)
    if why_not:
        return "no", reasons, why_not, [], uncertain
    if needs:
        return "unknown", reasons, "; ".join(unknown_why), needs, uncertain
    return "yes", reasons, "", [], uncertain


def propose(facts: BasisFacts) -> Proposal:
    """Walk the rules in order of preference; the first whose conditions all hold wins.

    Rules blocked by unknown facts before it become open questions; rules that fail become
    "not used" with their first reason. Supplements and requirements are added when they
    hold; a rule with a next step proposes the follow-up route too. Unknown state codes raise
    caseflow.entities.errors.InvalidIdentifier (from caseflow.jurisdictions).
    """
    return _propose(facts, allow_emergency=True, with_next=True)


def _propose(facts: BasisFacts, *, allow_emergency: bool, with_next: bool) -> Proposal:
    a, b = jurisdictions.get(facts.requesting_state), jurisdictions.get(facts.requested_state)
    ctx = _Ctx(facts, a, b)
    info = table().instruments
    passed_over: dict[str, str] = {}
    open_questions: dict[str, OpenQuestion] = {}
    chosen: tuple[Rule, list[str], list[str]] | None = None
    for rule in table().rules:
        if not allow_emergency and GATE + "emergency" in rule.when:
            continue
        state, reasons, why, needs, uncertain = _evaluate(rule.when, ctx)
        if state == "yes":
            chosen = (rule, reasons, uncertain)
            break
        if state == "gate":
            continue  # the route does not concern this request: not "passed over"
        if state == "unknown":
            passed_over.pop(rule.instrument, None)
            open_questions[rule.instrument] = OpenQuestion(
                rule.instrument, info[rule.instrument].short, tuple(dict.fromkeys(needs)), why
            )
        elif rule.instrument not in open_questions:
            passed_over[rule.instrument] = why
    assert chosen is not None  # the data's last rule is unconditional
    rule, reasons, uncertain = chosen
    primary = _choice(rule.instrument, reasons or ["no treaty applies"], facts, rule)
    passed_over.pop(rule.instrument, None)
    open_questions.pop(rule.instrument, None)

    supplements = []
    sctx = replace(ctx, primary=rule.instrument)
    for sup in table().supplements:
        if sup.instrument == rule.instrument:
            continue
        state, sreasons, why, needs, suncertain = _evaluate(sup.when, sctx)
        if state == "yes":
            supplements.append(_choice(sup.instrument, sreasons[1:] or sreasons, facts, sup))
            uncertain += suncertain
        elif state == "unknown":
            open_questions.setdefault(
                sup.instrument,
                OpenQuestion(
                    sup.instrument, info[sup.instrument].short, tuple(needs), why, supplement=True
                ),
            )
    requirements = []
    for req in table().requirements:
        state, *_ = _evaluate(req.when, sctx)
        if state == "yes":
            requirements.append(Requirement(req.key, req.text, req.field))
    next_step = None
    if with_next and rule.next is not None:
        if rule.next == "obtain":
            follow = replace(facts, measure="obtain")
        else:
            follow = replace(facts, urgency="urgent")
        next_step = _propose(follow, allow_emergency=False, with_next=False)
    return Proposal(
        primary,
        tuple(supplements),
        _group_reasons({info[code].short: why for code, why in passed_over.items()}),
        tuple(open_questions.values()),
        tuple(requirements),
        tuple(dict.fromkeys(uncertain)),
        next_step,
    )


def _group_reasons(why_not: Mapping[str, str]) -> tuple[str, ...]:
    """ "A, B, because X" for routes passed over for the same reason, in order of preference."""
    grouped: dict[str, list[str]] = {}
    for short, why in why_not.items():
        grouped.setdefault(why, []).append(short)
    return tuple(f"{', '.join(names)}, because {why}" for why, names in grouped.items())


def _choice(code: str, reasons: Iterable[str], facts: BasisFacts, rule: Rule) -> Choice:
    item = table().instruments[code]
    label = item.label
    if code == "BILATERAL" and facts.bilateral_treaty:
        label = f"{item.label}: {facts.bilateral_treaty}"
    notes = (*((rule.note,) if rule.note else ()), *item.notes, *_reservations(item, facts))
    return Choice(code, label, tuple(reasons), item.short, notes, rule.source)


def _reservations(item: InstrumentInfo, facts: BasisFacts) -> tuple[str, ...]:
    """The requested state's reservations to the instrument's treaty, as notes."""
    if item.treaty is None:
        return ()
    state = jurisdictions.get(facts.requested_state)
    status = state.party(item.treaty)
    return tuple(
        f"{_name(state)} reservation to the {status.short}: {text}"
        for text in status.reservations.values()
    )


def conditions_hold(facts: BasisFacts, code: str) -> str:
    """ "" if the instrument `code` may be used on these facts, else why not.

    Checks every rule of the data that can lead to `code` (as main basis or supplement,
    leaving aside which main basis was chosen): one that holds is enough. Used to validate a
    basis the officer chose against the proposal.
    """
    a, b = jurisdictions.get(facts.requesting_state), jurisdictions.get(facts.requested_state)
    ctx = _Ctx(facts, a, b)
    candidates = [r for r in (*table().rules, *table().supplements) if r.instrument == code]
    why_not, needs = "", []
    for rule in candidates:
        when = [
            c for c in rule.when if not c.startswith((GATE + "primary:", GATE + "primary_kind:"))
        ]
        state, _, why, rule_needs, _ = _evaluate(when, ctx)
        if state == "yes":
            return ""
        if state == "gate" and GATE + "emergency" in rule.when and not facts.emergency:
            continue
        if state == "unknown":
            needs += rule_needs
        else:
            why_not = why_not or why
    if needs:
        asks = "; ".join(_need_label(n) for n in dict.fromkeys(needs))
        return f"cannot be checked until it is answered: {asks}"
    return why_not
