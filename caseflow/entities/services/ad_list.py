"""A case's ads listed with their latest capture by that case, filtered by what the ads
say (price, currency, stated age, place, wording to look at). Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.cases.services import case_access
from caseflow.entities.models import AdCapture, CaseEntity, Entity
from caseflow.entities.services.captures import _capture
from caseflow.entities.services.common import _audit
from caseflow.entities.services.results import Capture


@dataclass(frozen=True)
class AdFilter:
    """Filters of a case's ads, all optional; an ad matches on its latest capture."""

    max_age: int | None = None  # stated age at most this (e.g. 19)
    currency: str | None = None  # ISO 4217
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    location: str | None = None  # part of the place's name, or a country / ISO 3166-2 code
    indicators: bool = False  # only ads with wording listed for a second look

    def any(self) -> bool:
        return any(
            v not in (None, False, "")
            for v in (
                self.max_age,
                self.currency,
                self.min_price,
                self.max_price,
                self.location,
                self.indicators,
            )
        )


@dataclass(frozen=True)
class AdRow:
    entity_id: int
    label: str
    capture: Capture


MAX_ADS_LISTED = 200


def list_case_ads(
    session: Session,
    actor: Actor,
    case_id: int,
    filters: AdFilter | None = None,
    *,
    audit: bool = True,
    now: datetime | None = None,
) -> list[AdRow]:
    """A case's ads with their latest capture by this case, newest first, filtered by price,
    currency, stated age, place and possible-minor wording (at most MAX_ADS_LISTED).

    Only this case's captures are read. Audited "ad.list" (consultation) with the filters
    unless `audit` is False (the case page's "case.view" covers it)."""
    case, _ = case_access(session, actor, case_id)
    filters = filters or AdFilter()
    latest = (
        sa.select(sa.func.max(AdCapture.id).label("id"))
        .join(
            CaseEntity,
            sa.and_(
                CaseEntity.case_id == AdCapture.case_id,
                CaseEntity.entity_id == AdCapture.entity_id,
                CaseEntity.removed_at.is_(None),
            ),
        )
        .where(AdCapture.case_id == case.id)
        .group_by(AdCapture.entity_id)
        .subquery()
    )
    stmt = (
        sa.select(AdCapture, Entity.label, User.username)
        .join(latest, latest.c.id == AdCapture.id)
        .join(Entity, Entity.id == AdCapture.entity_id)
        .outerjoin(User, User.id == AdCapture.captured_by_id)
    )
    if filters.max_age is not None:
        stmt = stmt.where(AdCapture.stated_age <= filters.max_age)
    if filters.currency:
        stmt = stmt.where(AdCapture.price_currency == filters.currency.upper())
    if filters.min_price is not None:
        stmt = stmt.where(AdCapture.price_amount >= filters.min_price)
    if filters.max_price is not None:
        stmt = stmt.where(AdCapture.price_amount <= filters.max_price)
    if filters.location:
        place = filters.location.strip()
        like = "%" + place.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(AdCapture.location).like(like + "%", escape="\\"),
                AdCapture.location_country == place.upper(),
                AdCapture.location_subdivision == place.upper(),
            )
        )
    stmt = stmt.order_by(AdCapture.captured_at.desc(), AdCapture.id.desc())
    rows = session.execute(stmt.limit(MAX_ADS_LISTED * (4 if filters.indicators else 1))).all()
    found = [AdRow(c.entity_id, label, _capture(c, username)) for c, label, username in rows]
    if filters.indicators:  # JSON lists are not portably queryable: filtered here
        found = [r for r in found if r.capture.details.get("indicators")]
    found = found[:MAX_ADS_LISTED]
    if audit:
        _audit(
            session,
            actor,
            "ad.list",
            "consultation",
            case,
            object_type="case",
            object_id=case.id,
            now=now,
            details={k: str(v) for k, v in vars(filters).items() if v not in (None, False, "")},
        )
    return found
