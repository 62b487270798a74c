"""Ad intake: extract candidate identifiers from an ad's text, then create the confirmed
ones and their links in one transaction. Must not import flask."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import phonenumbers
from sqlalchemy.orm import Session

from caseflow.actor import Actor
from caseflow.cases.models import Case
from caseflow.cases.services import case_access
from caseflow.entities.errors import InvalidIdentifier
from caseflow.entities.extract import AdReading, read_ad
from caseflow.entities.inputs import (
    validation_error,
)
from caseflow.entities.models import (
    Entity,
    Link,
)
from caseflow.entities.services.captures import capture_fields, record_capture
from caseflow.entities.services.common import _attach, _audit, normalize_input
from caseflow.entities.services.hits import _hits
from caseflow.entities.services.links import _new_link
from caseflow.entities.services.results import AdPreview, AdResult, Fields, candidate_key
from caseflow.errors import ValidationError


def _platform(platform: str | None) -> str | None:
    from caseflow.entities.normalize import PLATFORM_ALIASES

    platform = (platform or "").strip().lower() or None
    return PLATFORM_ALIASES.get(platform, platform) if platform else None


def _case_regions(case: Case) -> list[str]:
    """The case's other jurisdictions as phone regions (GB-SCT reads as GB)."""
    found = []
    for item in case.jurisdictions:
        region = item.code.split("-")[0].upper()
        if region in phonenumbers.SUPPORTED_REGIONS and region != case.lead_jurisdiction:
            found.append(region)
    return list(dict.fromkeys(found))


def _site(site: str | None) -> str | None:
    """The ad's site from its URL or platform:id (its country domain names a region)."""
    site = (site or "").strip()
    if not site or " " in site:
        return None
    if "://" in site:
        return site
    return site.partition(":")[0] or None


def _read(case: Case, text: str, platform: str | None, site: str | None = None) -> AdReading:
    try:
        return read_ad(
            text or "",
            case.lead_jurisdiction,
            platform=platform,
            case_regions=_case_regions(case),
            site=_site(site),
        )
    except InvalidIdentifier as exc:
        raise validation_error("ad", exc) from exc


def preview_ad(
    session: Session,
    actor: Actor,
    case_id: int,
    text: str,
    platform: str | None = None,
    *,
    site: str | None = None,
) -> AdPreview:
    """Extract candidate identifiers from an ad's text, for confirmation. Writes nothing.

    National phones are read first in the ad's own region (its site's country domain, given
    by `site`, the ad's URL or platform:id, and the countries of the places it names), then
    with the case's lead jurisdiction and its other jurisdictions; bare @handles need
    `platform`.
    """
    case, _ = case_access(session, actor, case_id, write=True)
    reading = _read(case, text, _platform(platform), site)
    return AdPreview(case.lead_jurisdiction, _platform(platform), reading.candidates)


def ingest_ad(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    ad: Fields,
    text: str,
    selected: Collection[str],
    posted_by: str | None = None,
    now: datetime,
) -> AdResult:
    """Create the ad, this case's capture of it, the confirmed identifiers and their links,
    in one transaction, and list which of them other cases already hold (hits).

    `ad` holds the ad's input fields (`value` = its URL or id, `platform`, `posted_at`,
    `title`); `text` is its text, re-extracted here so only what the text really holds is
    created; `selected` are candidate keys (AdPreview.key) the investigator confirmed.
    `posted_by` (a handle on the ad's platform, or platform:handle) gets a POSTED link to
    the ad; each confirmed identifier gets ad -CONTACT-> identifier (fact, confirmed).
    The title, text, posted time and what the text says (prices, stated ages, places) go
    to this case's capture; the shared ad entity keeps only its URL or id.
    Anything invalid refuses the whole intake (ValidationError); nothing is half-created.
    Audit: "ad.ingest" (collection), "link.create" (combination) per link and "hit.shown"
    per hit returned.
    """
    case, access = case_access(session, actor, case_id, write=True)
    fields = dict(ad)
    fields["text"] = text
    platform = _platform(fields.get("platform"))
    reading = _read(case, text, platform, fields.get("value"))
    candidates = reading.candidates
    by_key = {candidate_key(c): c for c in candidates if c.normalized is not None}
    unknown = [k for k in selected if k not in by_key]
    if unknown:
        raise ValidationError(
            f"Identifiers: {len(unknown)} chosen identifier(s) are not in the text.",
            field="selected",
        )
    ad_norm = normalize_input("ad", fields, default_region=case.lead_jurisdiction)
    poster = None
    if posted_by and posted_by.strip():
        poster_fields: dict[str, str | None] = {"value": posted_by.strip()}
        if ":" not in posted_by:
            poster_fields["platform"] = platform or ad_norm.attributes.get("platform")
        try:
            poster = normalize_input("account", poster_fields, default_region=None)
        except ValidationError as exc:
            message = exc.message.replace("Account", "Posted by", 1)
            raise ValidationError(message, field="posted_by") from exc
    ad_entity, _, _, _ = _attach(
        session, actor, case, ad_norm, role=None, note=None, source="ad", now=now, capture=False
    )
    capture = record_capture(
        session,
        actor,
        case,
        ad_entity,
        capture_fields(ad_norm.attributes),
        reading=reading.attributes,
        now=now,
    )
    created: list[Entity] = []
    links: list[Link] = []

    def link(source: Entity, target: Entity, type: str) -> None:
        if source.id == target.id:
            return
        links.append(
            _new_link(
                session,
                actor,
                case,
                source_id=source.id,
                target_id=target.id,
                type=type,
                confidence="confirmed",
                assessment=False,
                evidence_item_id=None,
                note="From ad intake.",
                now=now,
            )
        )

    if poster is not None:
        account, _, _, _ = _attach(
            session, actor, case, poster, role=None, note=None, source="ad", now=now
        )
        created.append(account)
        link(account, ad_entity, "POSTED")
    for key in dict.fromkeys(selected):
        candidate = by_key[key]
        assert candidate.normalized is not None
        entity, _, _, _ = _attach(
            session, actor, case, candidate.normalized, role=None, note=None, source="ad", now=now
        )
        created.append(entity)
        link(ad_entity, entity, "CONTACT")
    _audit(
        session,
        actor,
        "ad.ingest",
        "collection",
        case,
        object_type="entity",
        object_id=ad_entity.id,
        now=now,
        details={
            "entity_ids": [e.id for e in created],
            "links": len(links),
            "capture_id": capture.id,
        },
    )
    for item in links:
        _audit(
            session,
            actor,
            "link.create",
            "combination",
            case,
            object_type="link",
            object_id=item.id,
            now=now,
            details={"type": item.type, "source_id": item.source_id, "target_id": item.target_id},
        )
    hits = _hits(
        session, actor, case, access, entity_ids=[e.id for e in (ad_entity, *created)], now=now
    )
    return AdResult(ad_entity, created, links, capture, hits)
