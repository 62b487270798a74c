"""Entity results crossing the service boundary (frozen dataclasses) and shared limits."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from caseflow.cases.models import Case
from caseflow.entities.extract import Candidate
from caseflow.entities.models import (
    AdCapture,
    CaseEntity,
    Entity,
    Link,
)

# Per-sighting details that are not part of an entity's identity (see normalize_ip).
OBSERVATION_KEYS = {"ip_address": ("port", "observed_at", "observed_at_offset")}
MAX_PER_PAGE = 200
MAX_HITS_SHOWN = 50
VICTIM_MASK = "Victim (details restricted to case members)"
Fields = Mapping[str, str | None]


@dataclass(frozen=True)
class Hit:
    """Another case holds one of my entities. Only its reference and owner's contact."""

    entity_id: int
    entity_kind: str
    entity_label: str
    case_reference: str
    owner_name: str
    owner_contact: str
    # "exact": the other case holds this very entity; "probable": it holds a different value
    # sharing a probable-match key with it, for `reason` (never shown: the other value).
    match: str = "exact"
    reason: str | None = None


@dataclass(frozen=True)
class EntityRow:
    """An entity as shown in one case; `masked` hides a victim from non-members."""

    entity_id: int
    kind: str
    value: str
    label: str
    jurisdiction: str | None
    role: str | None
    source: str
    note: str | None
    added_at: datetime
    masked: bool = False


@dataclass(frozen=True)
class EntityPage:
    rows: list[EntityRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class AddResult:
    entity: Entity
    involvement: CaseEntity
    created: bool  # a new entity in CaseFlow (not only new in this case)
    already_in_case: bool
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class LinkRow:
    id: int
    type: str
    source: EntityRow
    target: EntityRow
    confidence: str
    assessment: bool
    evidence_item_id: int | None
    note: str | None
    created_at: datetime
    created_by: str | None
    retracted_at: datetime | None


@dataclass(frozen=True)
class Sighting:
    observed_at: datetime | None
    port: int | None
    offset: str | None


@dataclass(frozen=True)
class Capture:
    """One case's capture of an ad (see caseflow.entities.models.AdCapture)."""

    id: int
    title: str | None
    text: str | None
    posted_at: datetime | None
    posted_at_offset: str | None
    price_amount: Decimal | None
    price_currency: str | None
    price_unit: str | None
    stated_age: int | None
    location: str | None
    location_country: str | None
    location_subdivision: str | None
    details: dict[str, Any]
    captured_at: datetime
    captured_by: str | None


@dataclass(frozen=True)
class EntityView:
    case: Case
    entity: EntityRow
    attributes: dict[str, Any]
    observations: list[Sighting]
    links: list[LinkRow]
    hits: list[Hit]
    read_only: bool
    # An ad's captures by this case only (never another case's), newest first.
    captures: list[Capture] = field(default_factory=list)


@dataclass(frozen=True)
class AdPreview:
    region: str
    platform: str | None
    candidates: list[Candidate]

    @staticmethod
    def key(candidate: Candidate) -> str | None:
        """What a confirmation sends back for a candidate (None: cannot be chosen)."""
        return candidate_key(candidate)


@dataclass(frozen=True)
class AdResult:
    ad: Entity
    entities: list[Entity]
    links: list[Link]
    capture: AdCapture | None = None
    # The new identifiers that other cases already hold (same rules as every hit).
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


@dataclass(frozen=True)
class ImportReport:
    ok_count: int
    errors: list[RowError]
    imported: bool  # False: nothing was written (errors and no skip_bad)
    total: int


def candidate_key(candidate: Candidate) -> str | None:
    """The stable key of a valid candidate: `<kind>:<canonical value>`."""
    if candidate.normalized is None:
        return None
    return f"{candidate.kind}:{candidate.normalized.value}"
