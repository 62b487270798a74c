"""The languages a request's document may be sent in: what the requested state accepts for
the instrument (the directory), certified translations the officer attaches, and a reason
recorded to send the document untranslated. Must not import flask."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import pycountry
import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import jurisdictions
from caseflow.actor import Actor
from caseflow.errors import ConflictError, ValidationError
from caseflow.mla.models import MlaLanguageRecord, MlaRequest
from caseflow.mla.packet import accepted_languages
from caseflow.mla.services.common import _audit, _prepare
from exports.pdf import DOCUMENT_LANGUAGE

MAX_TRANSLATION_BYTES = 20 * 1024 * 1024
# Until approval a translation may be attached (it does not change the request's text).
OPEN_STATUSES = ("draft", "returned", "submitted")


def language_records(session: Session, request_id: int) -> list[MlaLanguageRecord]:
    return list(
        session.scalars(
            sa.select(MlaLanguageRecord)
            .where(MlaLanguageRecord.request_id == request_id)
            .order_by(MlaLanguageRecord.id)
        )
    )


def language_gap(req: MlaRequest, records: list[MlaLanguageRecord]) -> str | None:
    """Why the document cannot go as it is (None when it can): the state does not accept the
    document's language and there is neither a translation into one it accepts nor a
    recorded reason. Only a list the state declared for the instrument (EIO Art. 5(2),
    EPOC Art. 31, a treaty notification) refuses; its official languages alone are shown,
    and the checklist warns, but do not block."""
    accepted = accepted_languages(req, declared_only=True)
    if accepted is None or DOCUMENT_LANGUAGE in accepted:
        return None
    if any(r.kind == "reason" for r in records):
        return None
    if any(r.kind == "translation" and r.language in accepted for r in records):
        return None
    return (
        f"{jurisdictions.get(req.requested_state).name} does not accept documents in "
        f"{DOCUMENT_LANGUAGE}; it accepts {', '.join(accepted)}: attach a certified translation "
        "into one of them, or record why the document is sent untranslated."
    )


def _language_code(value: str) -> str:
    code = " ".join(value.split()).lower()
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValidationError(
            f"Language: {value!r} is not an ISO 639 language code (e.g. fr, th).", field="language"
        )
    return code


def _open_request(session: Session, actor: Actor, request_id: int) -> MlaRequest:
    req = _prepare(session, actor, request_id)
    if req.status not in OPEN_STATUSES:
        raise ConflictError(
            f"A request that is {req.status} was approved as it is: a translation or a reason "
            "needs a new request."
        )
    return req


def add_translation(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    language: str,
    translator_name: str,
    certification: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> MlaLanguageRecord:
    """Attach a certified translation of the document (a PDF): the language, the translator's
    name and their certification are required. It is signed with the document at approval
    and packed as translations/<language>.pdf."""
    req = _open_request(session, actor, request_id)
    code = _language_code(language)
    translator = " ".join(translator_name.split())
    if not translator:
        raise ValidationError("Translator: name the certified translator.", field="translator_name")
    if len(translator) > 200:
        raise ValidationError("Translator: at most 200 characters.", field="translator_name")
    certification = certification.strip()
    if not certification:
        raise ValidationError(
            "Certification: state the translator's certification (e.g. sworn translator, "
            "court register number).",
            field="certification",
        )
    if not data.startswith(b"%PDF-"):
        raise ValidationError("Translation: the file must be a PDF.", field="file")
    if len(data) > MAX_TRANSLATION_BYTES:
        raise ValidationError("Translation: at most 20 MiB.", field="file")
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        PdfFileReader(io.BytesIO(data)).root  # noqa: B018 - parse the trailer and catalogue
    except Exception as exc:
        raise ValidationError(f"Translation: not a readable PDF ({exc}).", field="file") from exc
    record = MlaLanguageRecord(
        request_id=req.id,
        kind="translation",
        language=code,
        translator_name=translator,
        certification=certification,
        filename=(filename or f"translation-{code}.pdf")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        recorded_at=now,
        recorded_by=actor.user_id,
    )
    session.add(record)
    session.flush()
    _audit(
        session,
        actor,
        "request.translation_add",
        "alteration",
        req,
        details={"language": code, "translator": translator, "sha256": record.sha256},
    )
    return record


def record_language_reason(
    session: Session, actor: Actor, request_id: int, *, reason: str, now: datetime
) -> MlaLanguageRecord:
    """Record why the document is sent in a language the state does not list (e.g. its
    central authority agreed to English for this request)."""
    req = _open_request(session, actor, request_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            "Reason: say why the document may go untranslated.", field="language_reason"
        )
    record = MlaLanguageRecord(
        request_id=req.id, kind="reason", reason=reason, recorded_at=now, recorded_by=actor.user_id
    )
    session.add(record)
    session.flush()
    _audit(session, actor, "request.language_reason", "alteration", req, details={"reason": reason})
    return record
