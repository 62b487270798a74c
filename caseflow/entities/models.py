"""Entities (selectors), their involvement in cases, observations and links between them.

An Entity is global (unique by kind and canonical value); everything case-specific (the role
of a person, who added it, when an IP was seen, links) hangs off the case.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import Base, intpk

# The kinds of caseflow.entities.normalize.KINDS, repeated here for the CHECK constraint.
ENTITY_KINDS = (
    "account",
    "ad",
    "bank_account",
    "device",
    "domain",
    "email",
    "ip_address",
    "jurisdiction",
    "organization",
    "person",
    "phone",
    "service_provider",
    "url",
    "wallet",
)

# The role of a person (or organization) in one case: it belongs to the involvement, not to
# the entity (LED Art. 6: categories of data subjects, per processing).
INVOLVEMENT_ROLES = ("suspect", "victim", "witness", "other")
ROLE_KINDS = ("person", "organization")

# The closed list of link types, in one place (forms, API and the graph read it from here).
LINK_TYPES = (
    "POSTED",  # account -> ad
    "CONTACT",  # ad -> a contact point it advertises (phone, e-mail, handle, URL, wallet)
    "CONTROLS",  # person/organization -> account, phone, wallet, device...
    "CONTACTED",  # one party or selector communicated with another
    "PAID",  # wallet/bank account -> wallet/bank account
    "REGISTERED_WITH",  # account/phone/domain -> service provider
    "LOCATED_IN",  # anything -> jurisdiction
    "USES",  # person -> device, IP address, account
    "HOSTED_AT",  # url/domain -> IP address or provider
    "ASSOCIATED_WITH",  # a weaker, unqualified relation
    "SAME_AS",  # two selectors are the same real-world thing
)
CONFIDENCES = ("confirmed", "probable", "possible")
ENTRY_SOURCES = ("manual", "ad", "csv", "api")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Entity(Base):
    """A selector, one row per (kind, canonical value) across the whole system."""

    __tablename__ = "entities"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(24))
    value: Mapped[str] = mapped_column(sa.String(2100))
    label: Mapped[str] = mapped_column(sa.String(300))
    # Derived facts and descriptive fields (phone region, wallet network, provider's legal
    # contact, ad text); per-sighting details go to Observation instead.
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    jurisdiction: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.UniqueConstraint("kind", "value", name="kind_value"),
        sa.CheckConstraint(f"kind IN {_in(ENTITY_KINDS)}", name="kind"),
    )


class CaseEntity(Base):
    """An entity's involvement in a case: who added it, from where, and a person's role.

    One row per (case, entity); removal sets `removed_at` and re-adding clears it, so the
    history of who added it stays in the audit log and the row is never deleted.
    """

    __tablename__ = "case_entities"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    role: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16), default="manual")
    note: Mapped[str | None] = mapped_column(sa.Text)
    added_at: Mapped[datetime]
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]

    entity: Mapped[Entity] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("case_id", "entity_id", name="case_entity"),
        sa.CheckConstraint(f"role IS NULL OR role IN {_in(INVOLVEMENT_ROLES)}", name="role"),
        sa.CheckConstraint(f"source IN {_in(ENTRY_SOURCES)}", name="source"),
    )


class Observation(Base):
    """One sighting of an entity in a case (an IP address at a time and source port)."""

    __tablename__ = "entity_observations"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    observed_at: Mapped[datetime | None]
    port: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Link(Base):
    """A typed relation between two entities, asserted in a case, with its provenance.

    Links are never deleted: retraction sets `retracted_at`. `assessment` tells a fact
    (False) from an investigator's assessment (True), as LED Art. 7 asks.
    """

    __tablename__ = "links"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(sa.String(24))
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    confidence: Mapped[str] = mapped_column(sa.String(12))
    assessment: Mapped[bool] = mapped_column(default=False)
    # The evidence item supporting the link: an item of the same case (the composite foreign
    # key refuses an item of another case or one that does not exist).
    evidence_item_id: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    retracted_at: Mapped[datetime | None]
    retracted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    source: Mapped[Entity] = relationship(foreign_keys=[source_id])
    target: Mapped[Entity] = relationship(foreign_keys=[target_id])

    __table_args__ = (
        sa.CheckConstraint(f"type IN {_in(LINK_TYPES)}", name="type"),
        sa.CheckConstraint(f"confidence IN {_in(CONFIDENCES)}", name="confidence"),
        sa.CheckConstraint("source_id <> target_id", name="not_self"),
        sa.ForeignKeyConstraint(
            ["evidence_item_id", "case_id"], ["evidence_items.id", "evidence_items.case_id"]
        ),
    )


# What one case saw in an ad: never on the shared ad entity (another case holding the same
# ad must not read it). Input fields of an ad that go to the capture, not the entity.
CAPTURE_FIELDS = ("title", "text", "posted_at", "posted_at_offset")


class AdCapture(Base):
    """One case's capture of an online ad: what the ad said when that case took it in.

    The ad entity is shared (unique by its canonical URL or id); its title, text, price,
    stated age and places belong to the capture of the case that saw them, with when and
    by whom. Append-only: taking the same ad in again adds a capture, so the case keeps what
    the ad said each time. `details` holds everything read (all prices, ages, wording to
    look at, places); the columns hold the first of each, for filtering.
    """

    __tablename__ = "ad_captures"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    title: Mapped[str | None] = mapped_column(sa.String(500))
    text: Mapped[str | None] = mapped_column(sa.Text)
    posted_at: Mapped[datetime | None]
    posted_at_offset: Mapped[str | None] = mapped_column(sa.String(8))
    price_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    price_currency: Mapped[str | None] = mapped_column(sa.String(3))
    price_unit: Mapped[str | None] = mapped_column(sa.String(16))
    stated_age: Mapped[int | None]
    location: Mapped[str | None] = mapped_column(sa.String(200))
    location_country: Mapped[str | None] = mapped_column(sa.String(2))
    location_subdivision: Mapped[str | None] = mapped_column(sa.String(8))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    captured_at: Mapped[datetime]
    captured_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.CheckConstraint("stated_age IS NULL OR stated_age BETWEEN 0 AND 150", name="age"),
    )


class EntityMatchKey(Base):
    """A probable-match key of an entity (caseflow.entities.probable): two entities sharing a
    key may be the same thing (a Gmail address with and without dots, a page with and without
    tracking parameters, a phone and a messaging account on it). Derived from the canonical
    value, written when the entity is created; never shown, only compared."""

    __tablename__ = "entity_match_keys"

    id: Mapped[intpk]
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(2200), index=True)
    reason: Mapped[str] = mapped_column(sa.String(300))

    __table_args__ = (sa.UniqueConstraint("entity_id", "key", name="entity_key"),)
