"""Synthetic selectors and two in-memory installations for federation tests and benchmarks.

Every value is fictional: phones in reserved ranges (FR 06 39 98, GB 07700 900, US 555-01xx),
example.org addresses, generated wallets and IBANs with valid checksums.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from caseflow.federation.keys import InstallationKey
from caseflow.federation.protocol import Federation, MemoryRunStore, Partner, Selector
from caseflow.policy import FederationLimits
from tests.helpers import FakeClock

PLATFORMS = ("telegram", "x", "instagram")


def _phone(j: int) -> str:
    if j < 10_000:
        return f"+3363998{j:04d}"
    if j < 11_000:
        return f"+447700900{j - 10_000:03d}"
    k = j - 11_000
    return f"+1{201 + k // 100}55501{k % 100:02d}"


def _iban(j: int) -> str:
    bban = f"WEST{j:014d}"
    digits = "".join(str(int(c, 36)) for c in bban + "GB00")
    return f"iban:GB{98 - int(digits) % 97:02d}{bban}"


def synthetic_selector(i: int) -> Selector:
    """The i-th synthetic selector (distinct for distinct i), in canonical form."""
    slot, cycle = i % 20, i // 20
    if slot < 4:
        return Selector("phone", _phone(cycle * 4 + slot))
    if slot < 10:
        return Selector("email", f"contact{cycle * 6 + slot - 4}@example.org")
    if slot < 15:
        j = cycle * 5 + slot - 10
        return Selector("account", f"{PLATFORMS[j % 3]}:handle_{j}")
    if slot < 17:
        j = cycle * 2 + slot - 15
        return Selector("wallet", "eth:0x" + hashlib.sha256(f"w{j}".encode()).hexdigest()[:40])
    if slot < 19:
        return Selector("bank_account", _iban(cycle * 2 + slot - 17))
    return Selector("ad", f"example.org:ad-{cycle}")


def selectors(indices: Iterable[int]) -> list[Selector]:
    return [synthetic_selector(i) for i in indices]


class Directory:
    """A PartnerDirectory over a dict, with suspension for tests."""

    def __init__(self, *partners: Partner) -> None:
        self.partners = {p.key_id: p for p in partners}

    def partner(self, key_id: str) -> Partner | None:
        return self.partners.get(key_id)

    def replace(self, key_id: str, **changes: object) -> None:
        from dataclasses import replace

        self.partners[key_id] = replace(self.partners[key_id], **changes)  # type: ignore[arg-type]


@dataclass
class StaticHoldings:
    """Holdings from a fixed list; references are every selector's cases."""

    items: list[Selector]
    references: Mapping[Selector, Sequence[str]] = field(default_factory=dict)
    asked_references: list[Selector] = field(default_factory=list)

    def selectors(self, partner: Partner) -> list[Selector]:
        return list(self.items)

    def case_references(
        self, partner: Partner, selectors: Sequence[Selector]
    ) -> dict[Selector, Sequence[str]]:
        self.asked_references.extend(selectors)
        return {s: self.references.get(s, ()) for s in selectors}


@dataclass
class Side:
    key: InstallationKey
    directory: Directory
    runs: MemoryRunStore
    engine: Federation
    holdings: StaticHoldings


def make_pair(
    a_items: list[Selector],
    b_items: list[Selector],
    *,
    clock: FakeClock | None = None,
    limits: FederationLimits | None = None,
    disclose: bool = True,
    b_clock: FakeClock | None = None,
) -> tuple[Side, Side]:
    """Two installations A and B that registered each other as partners."""
    clock = clock or FakeClock()
    limits = limits or FederationLimits(min_set_size=10)
    key_a, key_b = InstallationKey.generate(), InstallationKey.generate()
    sides = []
    for own, other, items, name, side_clock in (
        (key_a, key_b, a_items, "B", clock),
        (key_b, key_a, b_items, "A", b_clock or clock),
    ):
        partner = Partner.from_public_key(
            other.public_key,
            f"Agency {name}",
            limits=limits,
            disclose_case_references=disclose,
        )
        directory = Directory(partner)
        runs = MemoryRunStore()
        refs = {s: [f"CF-2026-{1 + i % 9:04d}"] for i, s in enumerate(items)}
        sides.append(
            Side(
                own,
                directory,
                runs,
                Federation(own, directory, runs, clock=side_clock),
                StaticHoldings(list(items), refs),
            )
        )
    return sides[0], sides[1]


def run_to_end(a: Side, b: Side, *, transport: str = "https") -> list:
    """Drive a whole run A -> B in memory; returns the five messages in order."""
    sent = []
    outcome = a.engine.start(b.key.key_id, a.holdings, transport=transport)
    sides = (b, a)
    turn = 0
    while outcome.reply is not None:
        sent.append(outcome.reply)
        receiver = sides[turn % 2]
        outcome = receiver.engine.receive(outcome.reply, receiver.holdings, transport=transport)
        turn += 1
    return sent
