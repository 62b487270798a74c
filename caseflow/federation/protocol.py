"""The five-step matching run between two installations, its replay rules and its limits.

    1 open     initiator -> responder   initiator's blinded set (PSI request), exchange key
    2 request  responder -> initiator   responder's blinded set, exchange key
    3 answer   initiator -> responder   initiator's setup + response to 2   (responder learns)
    4 result   responder -> initiator   responder's setup + response to 1,
                                        sealed count and references      (initiator learns)
    5 close    initiator -> responder   sealed count and references

The responder learns first: a partner that starts a run cannot learn anything before we have
learned the same intersection. Either side may answer any step with a signed `refusal`.

`Federation` is the engine of one installation. It does no I/O of its own: the partner
directory, our shareable selectors and the run records come in through the small protocols
below (the app implements them on its database; tests use MemoryRunStore). Must not import
flask or sqlalchemy.
"""

from __future__ import annotations

import copy
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from caseflow.clock import utcnow
from caseflow.federation import psi, sealing
from caseflow.federation.errors import FederationError, MessageRefused, RunRefused
from caseflow.federation.keys import InstallationKey
from caseflow.federation.keys import key_id as make_key_id
from caseflow.federation.messages import Message, build_message, parse_message
from caseflow.policy import FEDERATION_KINDS, FederationLimits, federation_run_refusal

INITIATOR, RESPONDER = "initiator", "responder"
# How long a message stays valid, by the transport it arrives on: minutes online, days for a
# file carried by hand. A message claiming a longer life than its transport allows is refused.
LIFETIME = {"https": timedelta(minutes=15), "file": timedelta(days=14)}
CLOCK_SKEW = timedelta(minutes=5)
DAY = timedelta(hours=24)


@dataclass(frozen=True, order=True)
class Selector:
    """A shareable selector: a kind of FEDERATION_KINDS and its canonical value (the value the
    normalizers of caseflow.entities.normalize return)."""

    kind: str
    value: str

    @property
    def element(self) -> str:
        """The PSI element: `<kind>:<canonical value>` (kinds contain no colon)."""
        return f"{self.kind}:{self.value}"

    @classmethod
    def from_element(cls, element: str) -> Selector:
        kind, _, value = element.partition(":")
        return cls(kind, value)


@dataclass(frozen=True)
class Partner:
    """A registered partner installation, as the engine needs it."""

    key_id: str
    public_key: bytes
    name: str
    active: bool = True
    limits: FederationLimits = field(default_factory=FederationLimits)
    # Our agreement with this partner lets us tell it our case references for shared selectors.
    disclose_case_references: bool = False

    @classmethod
    def from_public_key(cls, public_key: bytes, name: str, **kwargs: object) -> Partner:
        return cls(make_key_id(public_key), public_key, name, **kwargs)  # type: ignore[arg-type]


class PartnerDirectory(Protocol):
    def partner(self, key_id: str) -> Partner | None: ...


class Holdings(Protocol):
    """Our side's data: what may be matched with a partner, and which cases hold it."""

    def selectors(self, partner: Partner) -> Iterable[Selector]:
        """Our shareable selectors for this partner (policy.may_share_selector applied)."""
        ...

    def case_references(
        self, partner: Partner, selectors: Sequence[Selector]
    ) -> Mapping[Selector, Sequence[str]]:
        """References of the (shareable, not opted-out) cases holding each selector."""
        ...


@dataclass
class MessageRecord:
    """A message of a run as kept for audit: its signed header and signature, no payload."""

    step: int
    type: str
    direction: str  # "sent" or "received"
    digest: str
    header: str
    signature: str
    at: datetime


@dataclass
class RunState:
    """One run at one side. Secrets and our element list live only while the run is open."""

    run_id: str
    role: str
    partner_id: str
    created_at: datetime
    status: str = "open"  # open, complete, refused
    step: int = 0
    last_digest: str | None = None
    last_expires_at: datetime | None = None
    initiator_size: int | None = None
    responder_size: int | None = None
    partner_kinds: tuple[str, ...] = ()
    accepted: bool = False
    elements: tuple[str, ...] = ()
    client_key: bytes | None = None
    exchange_private: bytes | None = None
    shared_secret: bytes | None = None
    partner_request: bytes | None = None
    matches: tuple[str, ...] | None = None
    partner_match_count: int | None = None
    partner_references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unmatched_labels: int = 0
    refusal: tuple[str, str, str] | None = None  # (by "us" or "partner", reason, message)
    messages: list[MessageRecord] = field(default_factory=list)

    @property
    def own_size(self) -> int | None:
        return self.initiator_size if self.role == INITIATOR else self.responder_size

    @property
    def partner_size(self) -> int | None:
        return self.responder_size if self.role == INITIATOR else self.initiator_size

    @property
    def consistent(self) -> bool | None:
        """Whether both sides found as many matches (None until both counts are known)."""
        if self.matches is None or self.partner_match_count is None:
            return None
        return len(self.matches) == self.partner_match_count and not self.unmatched_labels

    def status_at(self, now: datetime) -> str:
        """`expired` for an open run whose last message can no longer be answered."""
        if self.status == "open" and self.last_expires_at and now > self.last_expires_at:
            return "expired"
        return self.status

    def forget_secrets(self) -> None:
        self.elements = ()
        self.client_key = self.exchange_private = self.shared_secret = None
        self.partner_request = None


class RunStore(Protocol):
    """Where runs are kept. `add` and `update` must be atomic: they are the replay guard."""

    def get(self, run_id: str) -> RunState | None: ...

    def add(self, state: RunState) -> None:
        """Store a new run; raise KeyError if a run with this id exists."""
        ...

    def update(self, state: RunState, *, expected_step: int) -> None:
        """Replace a run if its stored step is still `expected_step`; else raise KeyError."""
        ...

    def runs_with(self, partner_id: str) -> Sequence[RunState]: ...

    def put_outgoing(self, run_id: str, step: int, data: bytes) -> None: ...

    def outgoing(self, run_id: str, step: int) -> bytes | None: ...


class MemoryRunStore:
    """A RunStore in memory (tests, benchmark). Copies on the way in and out, like a database."""

    def __init__(self) -> None:
        self._runs: dict[str, RunState] = {}
        self._outgoing: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str) -> RunState | None:
        with self._lock:
            state = self._runs.get(run_id)
            return copy.deepcopy(state) if state else None

    def add(self, state: RunState) -> None:
        with self._lock:
            if state.run_id in self._runs:
                raise KeyError(state.run_id)
            self._runs[state.run_id] = copy.deepcopy(state)

    def update(self, state: RunState, *, expected_step: int) -> None:
        with self._lock:
            current = self._runs.get(state.run_id)
            if current is None or current.step != expected_step:
                raise KeyError(state.run_id)
            self._runs[state.run_id] = copy.deepcopy(state)

    def runs_with(self, partner_id: str) -> list[RunState]:
        with self._lock:
            return [copy.deepcopy(s) for s in self._runs.values() if s.partner_id == partner_id]

    def put_outgoing(self, run_id: str, step: int, data: bytes) -> None:
        with self._lock:
            self._outgoing[(run_id, step)] = data

    def outgoing(self, run_id: str, step: int) -> bytes | None:
        with self._lock:
            return self._outgoing.get((run_id, step))


@dataclass(frozen=True)
class Outcome:
    """What receiving (or starting) did: the reply to send, and what we learned, if anything."""

    run: RunState
    reply: bytes | None = None
    matches: tuple[Selector, ...] | None = None  # set when this step gave us the intersection
    references: Mapping[Selector, tuple[str, ...]] | None = None  # the partner's, when sent


class _Refuse(Exception):
    """Raised inside a step handler: end the run with a signed refusal."""

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.message, self.field = reason, message, field


T = TypeVar("T")


def _known(value: T | None, what: str) -> T:
    """A value an earlier step of the run set, or that this step's message must carry: its
    absence is refused like any inconsistent message, never a crash."""
    if value is None:
        raise _Refuse("inconsistent_run", f"{what} is missing at this step of the run.")
    return value


def _secret(state: RunState) -> bytes:
    return _known(state.shared_secret, "The shared sealing key")


def _author(step: int) -> str:
    return INITIATOR if step % 2 else RESPONDER


class Federation:
    """One installation's side of the protocol."""

    def __init__(
        self,
        key: InstallationKey,
        partners: PartnerDirectory,
        runs: RunStore,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.key = key
        self.partners = partners
        self.runs = runs
        self.clock = clock

    # --- starting --------------------------------------------------------------------------

    def start(self, partner_id: str, holdings: Holdings, *, transport: str = "https") -> Outcome:
        """Open a run with a partner: check our limits, blind our set, sign step 1."""
        lifetime = _lifetime(transport)
        partner = self.partners.partner(partner_id)
        if partner is None:
            raise FederationError("unknown_partner", "No such partner.", field="partner")
        if not partner.active:
            raise FederationError(
                "partner_suspended", f"Partner {partner.name} is suspended.", field="partner"
            )
        now = self.clock()
        elements, kinds = _our_set(holdings, partner)
        refusal = federation_run_refusal(
            partner.limits,
            set_size=len(elements),
            previous_size=None,
            runs_last_day=self._runs_last_day(partner.key_id, now, exclude=None),
            whose="this installation's",
        )
        if refusal:
            raise RunRefused(*refusal)
        client_key, request = psi.create_request(elements)
        exchange_private, exchange_public = sealing.new_exchange_key()
        state = RunState(
            run_id=str(uuid.uuid4()),
            role=INITIATOR,
            partner_id=partner.key_id,
            created_at=now,
            initiator_size=len(elements),
            accepted=True,
            elements=tuple(elements),
            client_key=client_key,
            exchange_private=exchange_private,
        )
        data = self._send(
            state,
            "open",
            now,
            lifetime,
            kinds=kinds,
            exchange_key=exchange_public,
            parts={"request": request},
        )
        self.runs.add(state)
        self.runs.put_outgoing(state.run_id, state.step, data)
        return Outcome(state, reply=data)

    # --- receiving -------------------------------------------------------------------------

    def receive(
        self,
        data: bytes,
        holdings: Holdings,
        *,
        transport: str,
        partner_id: str | None = None,
    ) -> Outcome:
        """Check a partner's message and take the run one step further.

        `partner_id` is the partner the transport authenticated (the HTTPS token's owner);
        the message must come from it. Raises MessageRefused (nothing changes) or RunRefused
        (the run ends; `reply` holds our signed refusal to send back).
        """
        lifetime = _lifetime(transport)
        message = parse_message(data)
        header = message.header
        now = self.clock()
        if header.recipient != self.key.key_id:
            raise MessageRefused(
                "wrong_recipient", "addressed to another installation", field="recipient"
            )
        partner = self.partners.partner(header.sender)
        if partner is None:
            raise MessageRefused(
                "unknown_sender", "the sender is not a registered partner", field="sender"
            )
        if partner_id is not None and partner_id != header.sender:
            raise MessageRefused(
                "wrong_sender",
                "the message is from another partner than the one authenticated",
                field="sender",
            )
        if not message.verify(partner.public_key):
            raise MessageRefused(
                "bad_signature",
                f"the signature is not by the registered key of partner {partner.name}: "
                "signed by another key, or altered",
                field="signature",
            )
        if not partner.active:
            raise MessageRefused(
                "partner_suspended", f"partner {partner.name} is suspended", field="sender"
            )
        state = self._check_sequence(message, partner)
        _check_time(message, now, lifetime)
        if header.type == "refusal":
            return self._on_refusal(state, message, now)
        if state is None:  # an open message
            state = RunState(
                run_id=header.run, role=RESPONDER, partner_id=partner.key_id, created_at=now
            )
            expected: int | None = None
        else:
            expected = state.step
        self._record(state, message, "received", now)
        try:
            outcome = self._dispatch(state, message, partner, holdings, now, lifetime)
        except _Refuse as refuse:
            return self._refuse(state, message, refuse, now, lifetime, expected)
        self._store(state, expected)
        if outcome.reply is not None:
            self.runs.put_outgoing(state.run_id, state.step, outcome.reply)
        return outcome

    def _check_sequence(self, message: Message, partner: Partner) -> RunState | None:
        header = message.header
        state = self.runs.get(header.run)
        if header.type == "open":
            if state is not None:
                raise MessageRefused("replayed", f"run {header.run} was opened before", field="run")
            return None
        if state is None or state.partner_id != partner.key_id:
            raise MessageRefused(
                "unknown_run", f"no run {header.run} with this partner", field="run"
            )
        if any(record.digest == message.digest for record in state.messages):
            raise MessageRefused(
                "replayed",
                f"step {header.step} of run {header.run} was received before",
                field="run",
            )
        if state.status != "open":
            raise MessageRefused("run_closed", f"run {header.run} is {state.status}", field="run")
        author = _author(header.step)
        if header.step != state.step + 1 or author == state.role:
            raise MessageRefused(
                "out_of_order",
                f"run {header.run} expects step {state.step + 1}, this is step {header.step}",
                field="step",
            )
        if header.prev != state.last_digest:
            raise MessageRefused(
                "out_of_order",
                "prev does not name the last message of this run",
                field="prev",
            )
        return state

    def _dispatch(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        self._check_sizes(state, message)
        handler = {
            "open": self._on_open,
            "request": self._on_request,
            "answer": self._on_answer,
            "result": self._on_result,
            "close": self._on_close,
        }[message.header.type]
        try:
            return handler(state, message, partner, holdings, now, lifetime)
        except psi.PsiDataError as exc:
            raise _Refuse("invalid_psi_data", f"the partner's PSI data: {exc}") from None
        except sealing.SealError as exc:
            raise _Refuse("invalid_sealed_part", str(exc), "payload") from None

    def _check_sizes(self, state: RunState, message: Message) -> None:
        sizes = message.header.set_sizes
        known = {"initiator": state.initiator_size, "responder": state.responder_size}
        step = message.header.step
        for side in ("initiator", "responder"):
            declared_at = 1 if side == "initiator" else 2
            if step < declared_at:
                if sizes[side] is not None:
                    raise _Refuse("inconsistent_sizes", f"{side} size given too early")
            elif step == declared_at:
                if sizes[side] is None:
                    raise _Refuse("inconsistent_sizes", f"the {side} set size is missing")
            elif sizes[side] != known[side]:
                raise _Refuse(
                    "inconsistent_sizes",
                    f"the {side} set size changed during the run",
                    f"set_sizes.{side}",
                )

    # --- step handlers ---------------------------------------------------------------------

    def _on_open(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        header = message.header
        size = _known(header.set_sizes["initiator"], "The initiator's set size")
        self._check_partner_size(state, partner, size, now)
        psi.check_request(message.part("request"), count=size)
        elements, kinds = _our_set(holdings, partner)
        self._check_own_size(partner, len(elements))
        client_key, request = psi.create_request(elements)
        exchange_private, exchange_public = sealing.new_exchange_key()
        state.initiator_size, state.responder_size = size, len(elements)
        state.partner_kinds = header.kinds
        state.accepted = True
        state.elements, state.client_key = tuple(elements), client_key
        state.partner_request = message.part("request")
        state.shared_secret = sealing.shared_secret(
            exchange_private, _known(header.exchange_key, "The exchange key"), state.run_id
        )
        reply = self._send(
            state,
            "request",
            now,
            lifetime,
            kinds=kinds,
            exchange_key=exchange_public,
            parts={"request": request},
        )
        return Outcome(state, reply=reply)

    def _on_request(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        header = message.header
        size = _known(header.set_sizes["responder"], "The responder's set size")
        self._check_partner_size(state, partner, size, now)
        setup, response = psi.answer_request(
            state.elements, message.part("request"), client_count=size
        )
        state.responder_size = size
        state.partner_kinds = header.kinds
        state.shared_secret = sealing.shared_secret(
            _known(state.exchange_private, "Our exchange key"),
            _known(header.exchange_key, "The exchange key"),
            state.run_id,
        )
        state.exchange_private = None
        reply = self._send(
            state, "answer", now, lifetime, parts={"setup": setup, "response": response}
        )
        return Outcome(state, reply=reply)

    def _on_answer(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        matches = self._learn(state, message)
        setup, response = psi.answer_request(
            state.elements,
            _known(state.partner_request, "The partner's request"),
            client_count=_known(state.initiator_size, "The initiator's set size"),
        )
        sealed = self._seal(state, partner, holdings, matches, step=4)
        state.client_key = state.partner_request = None
        reply = self._send(
            state,
            "result",
            now,
            lifetime,
            parts={"setup": setup, "response": response, "sealed": sealed},
        )
        return Outcome(state, reply=reply, matches=matches)

    def _on_result(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        matches = self._learn(state, message)
        references = self._open(state, message, matches)
        sealed = self._seal(state, partner, holdings, matches, step=5)
        reply = self._send(state, "close", now, lifetime, parts={"sealed": sealed})
        state.status = "complete"
        state.forget_secrets()
        return Outcome(state, reply=reply, matches=matches, references=references)

    def _on_close(
        self,
        state: RunState,
        message: Message,
        partner: Partner,
        holdings: Holdings,
        now: datetime,
        lifetime: timedelta,
    ) -> Outcome:
        matches = tuple(Selector.from_element(e) for e in state.matches or ())
        references = self._open(state, message, matches)
        state.status = "complete"
        state.forget_secrets()
        return Outcome(state, references=references)

    def _on_refusal(self, state: RunState | None, message: Message, now: datetime) -> Outcome:
        header = message.header
        if state is None:  # a refusal cannot open a run
            raise MessageRefused("unknown_run", f"no run {header.run} to refuse", field="run")
        expected = state.step
        self._record(state, message, "received", now)
        reason, text = header.refusal or ("", "")
        if state.role == INITIATOR and state.step == 2:
            state.accepted = False  # our open was refused: nothing was exchanged, nothing counts
        state.status = "refused"
        state.refusal = ("partner", reason, text)
        state.forget_secrets()
        self._store(state, expected)
        return Outcome(state)

    # --- helpers ---------------------------------------------------------------------------

    def _learn(self, state: RunState, message: Message) -> tuple[Selector, ...]:
        partner_size = state.partner_size or 0
        indices, _ = psi.intersect(
            _known(state.client_key, "Our PSI key"),
            state.elements,
            message.part("setup"),
            message.part("response"),
            server_count=partner_size,
        )
        state.matches = tuple(sorted(state.elements[i] for i in indices))
        return tuple(Selector.from_element(e) for e in state.matches)

    def _seal(
        self,
        state: RunState,
        partner: Partner,
        holdings: Holdings,
        matches: tuple[Selector, ...],
        *,
        step: int,
    ) -> bytes:
        references: dict[str, tuple[str, ...]] = {}
        if partner.disclose_case_references and matches:
            found = holdings.case_references(partner, matches)
            for selector in matches:
                refs = sealing.clean_references(found.get(selector, ()))
                if refs and len(references) < sealing.MAX_LABELS:
                    key = sealing.label_key(_secret(state), state.run_id, selector.element)
                    references[key] = refs
        content = sealing.Sealed(len(matches), references)
        return sealing.seal(_secret(state), state.run_id, self.key.key_id, step, content)

    def _open(
        self, state: RunState, message: Message, matches: tuple[Selector, ...]
    ) -> dict[Selector, tuple[str, ...]]:
        """Read the partner's sealed part; keep references only for selectors we matched too.

        A label for anything else is dropped unread (and counted): only shared selectors may
        leave a trace in our records.
        """
        sealed = sealing.open_sealed(
            _secret(state),
            state.run_id,
            message.header.sender,
            message.header.step,
            message.part("sealed"),
        )
        by_key = {sealing.label_key(_secret(state), state.run_id, s.element): s for s in matches}
        references = {by_key[k]: refs for k, refs in sealed.references.items() if k in by_key}
        state.partner_match_count = sealed.matched
        state.unmatched_labels = len(sealed.references) - len(references)
        state.partner_references = {s.element: refs for s, refs in references.items()}
        return references

    def _send(
        self,
        state: RunState,
        type: str,
        now: datetime,
        lifetime: timedelta,
        *,
        kinds: Sequence[str] = (),
        exchange_key: bytes | None = None,
        parts: Mapping[str, bytes] | None = None,
        refusal: tuple[str, str] | None = None,
    ) -> bytes:
        step = state.step + 1
        data = build_message(
            self.key,
            type=type,
            run=state.run_id,
            step=step,
            recipient=state.partner_id,
            created_at=now,
            expires_at=now + lifetime,
            prev=state.last_digest,
            set_sizes={"initiator": state.initiator_size, "responder": state.responder_size},
            kinds=kinds,
            exchange_key=exchange_key,
            parts=parts,
            refusal=refusal,
        )
        self._record(state, parse_message(data), "sent", now)
        return data

    def _record(self, state: RunState, message: Message, direction: str, now: datetime) -> None:
        header = message.header
        state.messages.append(
            MessageRecord(
                step=header.step,
                type=header.type,
                direction=direction,
                digest=message.digest,
                header=message.header_json,
                signature=message.signature.hex(),
                at=now,
            )
        )
        state.step = header.step
        state.last_digest = message.digest
        state.last_expires_at = header.expires_at

    def _store(self, state: RunState, expected: int | None) -> None:
        try:
            if expected is None:
                self.runs.add(state)
            else:
                self.runs.update(state, expected_step=expected)
        except KeyError:
            raise MessageRefused(
                "replayed", f"run {state.run_id} moved on while this message was processed"
            ) from None

    def _refuse(
        self,
        state: RunState,
        message: Message,
        refuse: _Refuse,
        now: datetime,
        lifetime: timedelta,
        expected: int | None,
    ) -> Outcome:
        state.status = "refused"
        state.refusal = ("us", refuse.reason, refuse.message)
        state.forget_secrets()
        reply = self._send(state, "refusal", now, lifetime, refusal=(refuse.reason, refuse.message))
        self._store(state, expected)
        self.runs.put_outgoing(state.run_id, state.step, reply)
        raise RunRefused(refuse.reason, refuse.message, field=refuse.field, reply=reply)

    def _runs_last_day(self, partner_id: str, now: datetime, *, exclude: str | None) -> int:
        return sum(
            1
            for run in self.runs.runs_with(partner_id)
            if run.accepted and run.run_id != exclude and run.created_at > now - DAY
        )

    def _previous_size(self, partner_id: str, *, exclude: str) -> int | None:
        earlier = [
            run
            for run in self.runs.runs_with(partner_id)
            if run.accepted and run.run_id != exclude and run.partner_size is not None
        ]
        if not earlier:
            return None
        return max(earlier, key=lambda run: run.created_at).partner_size

    def _check_partner_size(
        self, state: RunState, partner: Partner, size: int, now: datetime
    ) -> None:
        runs_last_day = (
            self._runs_last_day(partner.key_id, now, exclude=state.run_id)
            if state.role == RESPONDER
            else 0  # counted when we started the run
        )
        refusal = federation_run_refusal(
            partner.limits,
            set_size=size,
            previous_size=self._previous_size(partner.key_id, exclude=state.run_id),
            runs_last_day=runs_last_day,
        )
        if refusal:
            raise _Refuse(*refusal, "set_sizes")

    def _check_own_size(self, partner: Partner, size: int) -> None:
        limits = partner.limits
        if not limits.min_set_size <= size <= limits.max_set_size:
            raise _Refuse(
                "too_few_selectors" if size < limits.min_set_size else "too_many_selectors",
                f"this installation has {size} shareable selectors; a run needs "
                f"{limits.min_set_size} to {limits.max_set_size}",
            )


def _lifetime(transport: str) -> timedelta:
    try:
        return LIFETIME[transport]
    except KeyError:
        raise ValueError(
            f"unknown transport {transport!r}; use one of {sorted(LIFETIME)}"
        ) from None


def _check_time(message: Message, now: datetime, lifetime: timedelta) -> None:
    header = message.header
    if header.created_at > now + CLOCK_SKEW:
        raise MessageRefused(
            "not_yet_valid",
            f"created {header.created_at.isoformat()}, after this installation's time "
            f"{now.isoformat()} (check both clocks)",
            field="created_at",
        )
    if now > header.expires_at:
        raise MessageRefused(
            "expired", f"expired at {header.expires_at.isoformat()}", field="expires_at"
        )
    if not timedelta(0) < header.expires_at - header.created_at <= lifetime:
        raise MessageRefused(
            "expired",
            f"a message on this transport may live at most {lifetime}",
            field="expires_at",
        )


def _our_set(holdings: Holdings, partner: Partner) -> tuple[list[str], list[str]]:
    """Our selectors as PSI elements, deduplicated and shuffled (their order tells nothing)."""
    selectors = set(holdings.selectors(partner))
    kinds = sorted({s.kind for s in selectors})
    refused = [k for k in kinds if k not in FEDERATION_KINDS]
    if refused:
        raise FederationError(
            "not_shareable",
            f"selectors of kind {', '.join(refused)} may not be matched with partners",
            field="kind",
        )
    elements = [s.element for s in selectors]
    secrets.SystemRandom().shuffle(elements)
    return elements, kinds
