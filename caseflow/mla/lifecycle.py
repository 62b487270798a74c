"""Request clocks as a lifecycle: pure functions over the events recorded on a request, each with
the real time it happened (the receipt the provider confirmed, not the time someone clicked).

The periods, what starts and stops each clock, extensions and holds are data (`clocks` in
caseflow/data/routes.json); this module applies them. A preservation keeps its expiry
after the holder confirms it, until it lapses, is extended in time, or is held pending the
follow-up request; an event recorded too late (an extension after expiry) is refused with the
reason. Must not import flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Everything that can happen to a request, with the real time it happened.
EVENT_KINDS: Mapping[str, str] = {
    "sent": "Request sent",
    "received": "Received by the addressee",
    "acknowledged": "Receipt acknowledged",
    "confirmed": "Preservation confirmed by the holder",
    "extension_sent": "Extension requested (renewed 2703(f) request)",
    "annex_vi_sent": "Extension sent (Annex VI)",
    "annex_v_sent": "Production request confirmed (Annex V)",
    "follow_up_sent": "Follow-up request sent",
    "follow_up_received": "Follow-up request received by the requested state",
    "follow_up_decided": "Follow-up request decided",
    "recognised": "Recognition decided (EIO)",
    "provisional_decided": "Provisional measure decided",
    "validated": "Order validated by a judicial authority",
    "objection": "Enforcing state objected",
    "served": "Order served on the provider",
    "produced": "Data or evidence produced",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
    "oral_request": "Urgent request made orally",
    "written_confirmation": "Oral request confirmed in writing",
}
# Events that happen once per request; extensions may happen up to the clock's maximum.
ONCE = frozenset(EVENT_KINDS) - {"confirmed", "extension_sent", "annex_vi_sent", "follow_up_sent"}
CLOCK_KINDS = ("preservation", "deadline", "window")
# Events that stop every running clock of the request.
CLOSING = ("withdrawn",)

# Reminders and deadlines this close count as "due soon" on the dashboard.
DUE_SOON = timedelta(days=7)


class EventError(ValueError):
    """An event that cannot be recorded, with the reason (e.g. an extension after expiry)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{EVENT_KINDS.get(kind, kind)}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class Event:
    """Something that happened to a request at `at` (aware; stored in UTC)."""

    kind: str
    at: datetime
    reference: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise EventError(self.kind, f"unknown event; one of {', '.join(EVENT_KINDS)}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise EventError(self.kind, "give the time with its time zone")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True)
class Reminder:
    at: datetime
    text: str


@dataclass(frozen=True)
class Clock:
    """One clock of a request at a moment.

    `status` is "waiting" (its start event is not recorded), "running", "held" (a preservation
    kept until a decision), "done", "done-late", "overdue" (a deadline passed), "lapsed" (a
    preservation ended), "closed" (a window passed, or the request was withdrawn) or "ended"
    (a held preservation ended). `provisional` says the start is a fallback (e.g. counted from
    sending until the receipt time is recorded).
    """

    profile: str
    key: str
    kind: str
    label: str
    status: str
    starts_at: datetime | None
    due_at: datetime | None
    unit: str
    period: str
    next_step: str
    source: str
    provisional: bool = False
    extended: int = 0
    reminders: tuple[Reminder, ...] = ()
    notes: tuple[str, ...] = ()
    stopped_at: datetime | None = None
    unsettled: str = ""
    refusals: tuple[str, ...] = ()

    def next_reminder(self, now: datetime) -> Reminder | None:
        return next((r for r in self.reminders if r.at > now), None)


@dataclass(frozen=True)
class Context:
    """What the request's facts say about which clocks apply: the names of the completeness
    predicates that hold (e.g. "emergency", "emergency_validation", "preserve")."""

    holds: frozenset[str] = field(default_factory=frozenset)

    @property
    def emergency(self) -> bool:
        return "emergency" in self.holds

    @classmethod
    def of(cls, facts: Any) -> Context:
        from caseflow.mla.checklists import PREDICATES

        return cls(frozenset(name for name, test in PREDICATES.items() if test(facts)))


def _delta(spec: Mapping[str, Any]) -> timedelta:
    return timedelta(**{k: float(v) for k, v in spec.items()})


def _period_text(spec: Mapping[str, Any]) -> tuple[str, str]:
    (unit, amount), *_ = spec.items()
    n = int(amount)
    word = unit[:-1] if n == 1 else unit
    return ("hours" if unit in ("hours", "minutes") else "days"), f"{n} {word}"


def check_profiles(profiles: Mapping[str, Any]) -> None:
    """Check the `clocks` section of the instruments data; ValueError names the fault."""
    from caseflow.mla.checklists import PREDICATES

    for name, clocks in profiles.items():
        for c in clocks:
            where = f"clocks.{name}.{c.get('key')}"
            if c.get("kind") not in CLOCK_KINDS:
                raise ValueError(f"instruments data: {where} has unknown kind {c.get('kind')!r}")
            events = [*c["starts"], *c.get("stops_on", ()), *c.get("hold_on", ())]
            events += [*c.get("hold_ends_on", ())]
            if "extension" in c:
                events.append(c["extension"]["event"])
            bad = [e for e in events if e not in EVENT_KINDS]
            if bad:
                raise ValueError(f"instruments data: {where} names unknown events {bad}")
            if c.get("when") is not None and c["when"] not in PREDICATES:
                raise ValueError(f"instruments data: {where} uses unknown predicate {c['when']!r}")
            for key in ("period", "emergency_period"):
                if key in c:
                    _delta(c[key])
            for r in c.get("reminders", ()):
                if "after" not in r and "after_fraction" not in r:
                    raise ValueError(f"instruments data: {where} has a reminder without a time")
            after = c.get("provisional_after")
            if after is not None and after not in {x["key"] for x in clocks}:
                raise ValueError(f"instruments data: {where} follows unknown clock {after!r}")
            for key in ("label", "next_step", "late_step", "source"):
                if not c.get(key):
                    raise ValueError(f"instruments data: {where} lacks {key}")


def _profiles() -> Mapping[str, Any]:
    from caseflow.mla.routes import table

    return table().clocks


def profile_for(
    instrument_code: str,
    requested_state: str,
    request_types: Iterable[str] = (),
    *,
    measure: str | None = None,
) -> str | None:
    """Which clock set applies. A preservation asked of the US runs on 18 U.S.C. 2703(f)
    (90 + 90 days) whatever route carried it; otherwise the instrument's own clocks."""
    from caseflow.mla.facts import from_legacy_types
    from caseflow.mla.routes import instrument

    if measure is None:
        measure = from_legacy_types(request_types)[0] if request_types else "unknown"
    info = instrument(instrument_code)
    if requested_state == "US" and measure == "preserve" and info.kind != "order":
        return "US-2703F"
    return info.clock


def lifecycle(
    profiles: Iterable[str | None],
    events: Sequence[Event],
    context: Context,
    now: datetime,
) -> tuple[Clock, ...]:
    """Every clock of the given profiles, computed from the recorded events at `now`.

    Clocks whose `when` does not hold for the request are left out; a clock of the
    "URGENT-ORAL" profile appears only once an oral request is recorded.
    """
    data = _profiles()
    ordered = sorted(events, key=lambda e: e.at)
    out: list[Clock] = []
    for profile in dict.fromkeys(p for p in (*profiles, "URGENT-ORAL") if p):
        computed: dict[str, Clock] = {}
        for spec in data[profile]:
            if spec.get("when") and spec["when"] not in context.holds:
                continue
            clock = _clock(profile, spec, ordered, context, now, computed)
            if profile == "URGENT-ORAL" and clock.status == "waiting":
                continue
            computed[spec["key"]] = clock
            out.append(clock)
    return tuple(out)


def _first(events: Sequence[Event], kinds: Iterable[str], after: datetime | None = None):
    wanted = set(kinds)
    return next((e for e in events if e.kind in wanted and (after is None or e.at >= after)), None)


def _clock(
    profile: str,
    spec: Mapping[str, Any],
    events: Sequence[Event],
    context: Context,
    now: datetime,
    computed: Mapping[str, Clock],
) -> Clock:
    emergency = context.emergency and "emergency_period" in spec
    label = spec.get("emergency_label", spec["label"]) if emergency else spec["label"]
    period_spec = spec["emergency_period"] if emergency else spec["period"]
    unit, period = _period_text(period_spec)
    base = {
        "profile": profile,
        "key": spec["key"],
        "kind": spec["kind"],
        "label": label,
        "unit": unit,
        "period": period,
        "source": spec["source"],
        "unsettled": spec.get("unsettled", ""),
    }
    notes: list[str] = []
    refusals: list[str] = []
    starts = list(spec["starts"])
    start_event = None
    for n, kind in enumerate(starts):
        start_event = _first(events, [kind])
        if start_event is not None:
            if n > 0:
                wanted = EVENT_KINDS[starts[0]].lower()
                notes.append(
                    f"Counted from '{EVENT_KINDS[kind].lower()}' until '{wanted}' is recorded."
                )
            break
    provisional = bool(start_event is not None and start_event.kind != starts[0])
    start = start_event.at if start_event else None
    if start is None and spec.get("provisional_after") in computed:
        before = computed[spec["provisional_after"]]
        if before.due_at is not None and before.status != "waiting":
            start, provisional = before.due_at, True
            notes.append(
                "Counted from the latest date of the recognition decision until it is recorded."
            )
    if start is None:
        first = EVENT_KINDS[starts[0]].lower()
        return Clock(
            **base,
            status="waiting",
            starts_at=None,
            due_at=None,
            next_step=f"Starts when '{first}' is recorded.",
        )
    length = _delta(period_spec)
    due = start + length
    extended = 0
    ext = spec.get("extension")
    if ext:
        for e in (x for x in events if x.kind == ext["event"]):
            problem = _extension_problem(ext, e, due, extended, spec)
            if problem:
                refusals.append(
                    f"{ext['name'][0].upper()}{ext['name'][1:]} of {_t(e.at)} refused: {problem}"
                )
                continue
            due += _delta(ext["adds"])
            extended += 1
    for e in (x for x in events if x.kind == "confirmed"):
        ref = f" (reference {e.reference})" if e.reference else ""
        notes.append(f"Confirmed by the holder on {_t(e.at)}{ref}; the expiry still applies.")
    reminders = tuple(
        Reminder(start + _reminder_after(r, length), r["text"])
        for r in spec.get("reminders", ())
        if start + _reminder_after(r, length) < due
    )
    closing = _first(events, CLOSING)
    if spec["kind"] == "preservation":
        return _preservation(
            base,
            spec,
            events,
            start,
            due,
            now,
            (notes, refusals),
            reminders,
            extended,
            provisional,
            closing,
        )
    stop = _first(events, spec.get("stops_on", ()), start) or closing
    if stop is not None:
        late = stop.at > due
        status = "closed" if stop.kind in CLOSING else ("done-late" if late else "done")
        step = (
            "Withdrawn."
            if stop.kind in CLOSING
            else (
                f"{EVENT_KINDS[stop.kind]} on {_t(stop.at)}"
                + (" (after the deadline)." if late else ".")
            )
        )
        return Clock(
            **base,
            status=status,
            starts_at=start,
            due_at=due,
            next_step=step,
            provisional=provisional,
            extended=extended,
            reminders=reminders,
            notes=(*notes, *refusals),
            refusals=tuple(refusals),
            stopped_at=stop.at,
        )
    if now < due:
        status, step = "running", spec["next_step"]
    else:
        status = "closed" if spec["kind"] == "window" else "overdue"
        step = spec["late_step"]
    return Clock(
        **base,
        status=status,
        starts_at=start,
        due_at=due,
        next_step=step,
        provisional=provisional,
        extended=extended,
        reminders=reminders,
        notes=(*notes, *refusals),
        refusals=tuple(refusals),
    )


def _preservation(
    base, spec, events, start, due, now, remarks, reminders, extended, provisional, closing
) -> Clock:
    notes, refusals = remarks
    hold = None
    for e in (x for x in events if x.kind in spec.get("hold_on", ())):
        if e.at > due:
            refusals.append(
                f"{EVENT_KINDS[e.kind]} on {_t(e.at)} came after the preservation lapsed on "
                f"{_t(due)}: it does not keep the data."
            )
            continue
        hold = e
        break
    common = {
        "starts_at": start,
        "provisional": provisional,
        "extended": extended,
        "notes": (*notes, *refusals),
        "refusals": tuple(refusals),
    }
    if closing is not None and (hold is None or closing.at >= hold.at):
        return Clock(
            **base,
            **common,
            status="closed",
            due_at=due,
            next_step="Withdrawn.",
            stopped_at=closing.at,
            reminders=reminders,
        )
    if hold is not None:
        end = _first(events, spec.get("hold_ends_on", ()), hold.at)
        if end is not None:
            return Clock(
                **base,
                **common,
                status="ended",
                due_at=None,
                stopped_at=end.at,
                next_step=f"Preservation ended: {EVENT_KINDS[end.kind].lower()} on {_t(end.at)}.",
            )
        return Clock(
            **base,
            **common,
            status="held",
            due_at=None,
            next_step=spec.get("held_step", spec["next_step"]),
        )
    if now < due:
        return Clock(
            **base,
            **common,
            status="running",
            due_at=due,
            reminders=reminders,
            next_step=spec["next_step"],
        )
    return Clock(
        **base,
        **common,
        status="lapsed",
        due_at=due,
        reminders=reminders,
        next_step=spec["late_step"],
    )


def _reminder_after(reminder: Mapping[str, Any], period: timedelta) -> timedelta:
    if "after_fraction" in reminder:
        return period * float(reminder["after_fraction"])
    return _delta(reminder["after"])


def _extension_problem(
    ext: Mapping[str, Any], event: Event, due: datetime, done: int, spec: Mapping[str, Any]
) -> str:
    if done >= int(ext["max"]):
        return f"only {ext['max']} extension is possible ({spec['source']})"
    if event.at >= due:
        return (
            f"it must be sent before the preservation ends, and it ended on {_t(due)} "
            f"({spec['source']}); send a new preservation request instead"
        )
    return ""


def _t(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def check_event(
    profiles: Iterable[str | None],
    events: Sequence[Event],
    new: Event,
    context: Context,
    now: datetime,
) -> None:
    """Refuse an event that cannot be recorded, with the reason; return None if it can.

    Refused: a time in the future, before the request was sent, a second occurrence of a
    one-time event, and an extension or hold the clocks would ignore (late, or one too many).
    """
    if new.at > now + timedelta(minutes=5):
        raise EventError(new.kind, f"{_t(new.at)} is in the future")
    sent = _first(sorted(events, key=lambda e: e.at), ["sent"])
    if new.kind not in ("sent", "oral_request") and sent is not None and new.at < sent.at:
        raise EventError(new.kind, f"it cannot be before the request was sent ({_t(sent.at)})")
    if new.kind in ONCE and any(e.kind == new.kind for e in events):
        raise EventError(new.kind, "already recorded")
    before = {(c.profile, c.key): c for c in lifecycle(profiles, events, context, now)}
    after = lifecycle(profiles, [*events, new], context, now)
    for clock in after:
        old = before.get((clock.profile, clock.key))
        refused = [r for r in clock.refusals if old is None or r not in old.refusals]
        if refused:
            raise EventError(new.kind, refused[0])


def follow_up_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """The events of a follow-up request as its preservation sees them (Art. 29(7): the data
    stay preserved once the follow-up is received, until it is decided)."""
    mapping = {
        "sent": "follow_up_sent",
        "received": "follow_up_received",
        "produced": "follow_up_decided",
        "refused": "follow_up_decided",
    }
    return tuple(Event(mapping[e.kind], e.at, e.reference) for e in events if e.kind in mapping)


# -- Summary dates, for lists and the dashboard ------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A date a request must meet (`deadline`) or a date to act by (`reminder`)."""

    key: str
    label: str
    due_at: datetime
    kind: str  # "deadline" | "reminder"


def dues(clocks_: Iterable[Clock]) -> tuple[Due, ...]:
    """The deadlines and reminders of open clocks, sorted by date."""
    out: list[Due] = []
    for c in clocks_:
        if c.due_at is None or c.status not in ("running", "overdue"):
            continue
        out.append(Due(c.key, c.label, c.due_at, "deadline"))
        out += [Due(c.key, r.text, r.at, "reminder") for r in c.reminders]
    return tuple(sorted(out, key=lambda d: d.due_at))


def clocks(
    profile: str | None, start: datetime, *, emergency: bool = False, extended: bool = False
) -> tuple[Due, ...]:
    """Every deadline and reminder of `profile` for a request sent at `start` (and extended at
    once when `extended`), as summary dates. See `lifecycle` for the full picture."""
    if profile is None:
        return ()
    events = [Event("sent", start)]
    ext = next((c.get("extension") for c in _profiles()[profile] if c.get("extension")), None)
    if extended and ext:
        events.append(Event(ext["event"], start))
    holds = frozenset({"emergency"}) if emergency else frozenset()
    return dues(lifecycle([profile], events, Context(holds), start))


def state_of(due: Due, now: datetime) -> str:
    """ "overdue", "due-soon" (within DUE_SOON) or "later"."""
    if due.due_at <= now:
        return "overdue"
    if due.due_at - now <= DUE_SOON:
        return "due-soon"
    return "later"
