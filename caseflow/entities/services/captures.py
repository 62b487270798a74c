"""Each case's own capture of an ad: what the ad said (title, text, price, stated age,
places) when that case took it in, and who took it in. The shared ad entity holds only the
ad's URL or id; a capture is read only through its own case. Must not import flask."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.auth.models import User
from caseflow.cases.models import Case
from caseflow.entities.adattributes import AdAttributes, ad_attributes
from caseflow.entities.models import CAPTURE_FIELDS, AdCapture, Entity
from caseflow.entities.services.results import Capture


def _amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and 0 <= amount < Decimal(10) ** 10 else None


def capture_details(reading: AdAttributes) -> dict[str, Any]:
    """Everything read from the ad's text, as plain JSON (spans left out)."""
    return {
        "prices": [
            {"amount": p.amount, "currency": p.currency, "unit": p.unit} for p in reading.prices
        ],
        "ages": sorted({a.age for a in reading.ages}),
        "indicators": [{"phrase": i.phrase, "reason": i.reason} for i in reading.indicators],
        "locations": [
            {
                "text": loc.text,
                "country": loc.country,
                "subdivision": loc.subdivision,
                "city": loc.city,
            }
            for loc in reading.locations
        ],
    }


def record_capture(
    session: Session,
    actor: Actor,
    case: Case,
    entity: Entity,
    fields: Mapping[str, Any],
    *,
    reading: AdAttributes | None = None,
    now: datetime,
) -> AdCapture:
    """Store what `case` saw in the ad `entity` (no audit, no commit: the caller's use case
    audits it). `fields` are the ad's normalized capture fields (title, text, posted_at as
    UTC ...Z, posted_at_offset); `reading` is what was read from the text (read here when
    not given). The columns hold the first price, the lowest stated age and the first
    place the gazetteer resolved (else the first named), for filtering the case's ads."""
    text = fields.get("text") or None
    if reading is None:
        reading = ad_attributes(text) if text else AdAttributes()
    price = reading.prices[0] if reading.prices else None
    places = [loc for loc in reading.locations if loc.country] or list(reading.locations)
    place = places[0] if places else None
    posted = fields.get("posted_at")
    title = fields.get("title") or None
    capture = AdCapture(
        case_id=case.id,
        entity_id=entity.id,
        title=title[:500] if title else None,
        text=text,
        posted_at=datetime.fromisoformat(posted.replace("Z", "+00:00")) if posted else None,
        posted_at_offset=fields.get("posted_at_offset"),
        price_amount=_amount(price.amount) if price else None,
        price_currency=price.currency if price else None,
        price_unit=(price.unit or None) if price else None,
        stated_age=min((a.age for a in reading.ages if 0 <= a.age <= 150), default=None),
        location=(place.city or place.text)[:200] if place else None,
        location_country=place.country if place else None,
        location_subdivision=place.subdivision if place else None,
        details=capture_details(reading),
        captured_at=now,
        captured_by_id=actor.user_id,
    )
    session.add(capture)
    session.flush()
    return capture


def capture_fields(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The capture fields of a normalized ad's attributes."""
    return {k: attributes[k] for k in CAPTURE_FIELDS if attributes.get(k)}


def case_captures(session: Session, case: Case, entity_id: int) -> list[Capture]:
    """The captures of one ad by one case, newest first. The caller checked access."""
    rows = session.execute(
        sa.select(AdCapture, User.username)
        .outerjoin(User, User.id == AdCapture.captured_by_id)
        .where(AdCapture.case_id == case.id, AdCapture.entity_id == entity_id)
        .order_by(AdCapture.captured_at.desc(), AdCapture.id.desc())
    ).all()
    return [_capture(c, username) for c, username in rows]


def _capture(c: AdCapture, username: str | None) -> Capture:
    return Capture(
        id=c.id,
        title=c.title,
        text=c.text,
        posted_at=c.posted_at,
        posted_at_offset=c.posted_at_offset,
        price_amount=c.price_amount,
        price_currency=c.price_currency,
        price_unit=c.price_unit,
        stated_age=c.stated_age,
        location=c.location,
        location_country=c.location_country,
        location_subdivision=c.location_subdivision,
        details=dict(c.details or {}),
        captured_at=c.captured_at,
        captured_by=username,
    )
