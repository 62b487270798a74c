"""Evidence pages: the case panel, registering and uploading items, the item page with its
custody timeline, opening and downloading files, and the supervisor's custody audit page.

Evidence is never rendered inline by these pages (it may be abuse material): files are
served only through a deliberate POST, which is a custody "accessed" event.
"""

from __future__ import annotations

from typing import BinaryIO, cast
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import ValidationError as WTFValidationError

from caseflow import policy
from caseflow.auth.forms import ConfirmForm
from caseflow.cases import services as case_services
from caseflow.errors import StorageUnavailable, ValidationError
from caseflow.evidence import services
from caseflow.evidence.forms import CustodyEventForm, ItemForm, ServeForm, UploadForm
from caseflow.evidence.upload import MalformedUpload, StreamingForm
from caseflow.extensions import csrf, db_session, rollback_unit, transactions
from caseflow.web import current_actor, now, requires
from caseflow.web.forms import field_error, form_utc
from caseflow.web.panels import case_panel

# Service field names that differ from the form's.
_ALIASES = {"from": "from_custodian", "to": "to_custodian"}

bp = Blueprint("evidence", __name__)

# Types a browser shows without running code; anything else is always an attachment.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "text/plain")
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _store():
    return current_app.extensions["caseflow.blobstore"]


@case_panel("evidence", "Evidence", "evidence/_panel.html", order=20)
def _panel(session, actor, case):
    mine = case_services.membership(session, actor, case.id)
    return {
        "case": case,
        "evidence": services.items_for_case(session, actor, case.id),
        "can_write": mine is not None,
    }


def _details(form) -> services.ItemDetails:
    return services.ItemDetails(
        description=form.description.data or "",
        acquired_by=form.acquired_by.data or "",
        acquired_at=form_utc(form.acquired_at.data),  # type: ignore[arg-type]
        source=form.source.data or "",
        acquisition_method=form.acquisition_method.data or "",
        acquisition_tool=form.acquisition_tool.data or "",
        location=form.location.data or "",
        seal_number=form.seal_number.data or "",
    )


@bp.route("/cases/<int:case_id>/evidence/new", methods=["GET", "POST"])
@requires("case.work")
def register(case_id: int):
    case = case_services.case_for(db_session(), current_actor(), case_id, write=True)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            item = services.register_item(
                db_session(),
                current_actor(),
                case_id,
                kind=form.kind.data or "",
                details=_details(form),
                sha256=form.sha256.data,
                sha1=form.sha1.data,
                md5=form.md5.data,
                size=form.size.data,
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "description", _ALIASES)
        else:
            flash(f"Evidence item {item.reference} registered.", "info")
            return redirect(url_for("evidence.item", item_id=item.id))
    status = 400 if form.errors else 200
    return render_template("evidence/register.html", form=form, case=case), status


def _discard_rest() -> None:
    """Read and drop what is left of a refused upload's body, so the client gets the page
    instead of a connection reset while it is still sending (bounded by the size limit)."""
    stream = request.stream
    while stream.read(1 << 20):
        pass


@bp.route("/cases/<int:case_id>/evidence/upload", methods=["GET", "POST"])
@requires("case.work")
@csrf.exempt  # the token is checked below, from the stream, before any file byte is read
def upload(case_id: int):
    actor = current_actor()
    # Checked in a read transaction that ends here: no lock is held while the body streams in.
    with transactions().read() as session:
        case = case_services.case_for(session, actor, case_id, write=True)
    if request.method == "GET":
        return render_template("evidence/upload.html", form=UploadForm(), case=case)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.mimetype != "multipart/form-data":
        abort(400)
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    try:
        fields, uploaded = StreamingForm(cast(BinaryIO, request.stream), boundary).read_fields()
    except MalformedUpload as exc:
        return _malformed(case, exc)
    try:
        validate_csrf(fields.get("csrf_token"))
    except (WTFValidationError, CSRFError) as exc:
        raise CSRFError(str(exc)) from exc
    form = UploadForm(formdata=MultiDict(fields), meta={"csrf": False})
    status = 400
    if uploaded is None or not uploaded.filename:
        form.file.errors = ["File: choose the file to upload."]
    elif form.validate():
        try:
            item = services.upload_file(
                transactions(),
                actor,
                case_id,
                uploaded.stream,
                store=_store(),
                max_bytes=limit,
                filename=uploaded.filename,
                media_type=uploaded.content_type,
                details=_details(form),
                now=now(),
                expected_size=request.content_length,
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "file", _ALIASES)
        except StorageUnavailable as exc:
            rollback_unit()  # writes the failed attempt's audit record and the alarm
            field_error(form, exc, "file", _ALIASES)
            status = exc.status
            _discard_rest()
        except MalformedUpload as exc:
            return _malformed(case, exc)
        else:
            flash(f"Evidence item {item.reference} stored (SHA-256 {item.sha256}).", "info")
            return redirect(url_for("evidence.item", item_id=item.id))
    return render_template("evidence/upload.html", form=form, case=case), status


def _malformed(case, exc: MalformedUpload):
    """A cut-short or malformed upload: 400 naming the problem; nothing was stored (the
    store removes its temp file, the unit of work rolls back)."""
    rollback_unit()
    form = UploadForm(formdata=None, meta={"csrf": False})
    form.file.errors = [f"File: nothing was stored: {exc}."]
    return render_template("evidence/upload.html", form=form, case=case), 400


@bp.route("/evidence/<int:item_id>")
@requires("case.work")
def item(item_id: int):
    actor = current_actor()
    custody = services.custody_for_item(db_session(), actor, item_id)
    mine = case_services.membership(db_session(), actor, custody.case.id)
    event_form = CustodyEventForm()
    if event_form.ts_utc.data is None:
        event_form.ts_utc.data = now().replace(tzinfo=None, second=0, microsecond=0)
    return render_template(
        "evidence/item.html",
        custody=custody,
        item=custody.item,
        case=custody.case,
        can_write=mine is not None,
        # A supervisor reading with a purpose: details and custody, not the file.
        can_open=policy.may_open_evidence_file(
            policy.case_access(actor, custody.case.id, is_member=mine is not None)
        ),
        event_form=event_form,
        serve_form=ServeForm(),
    )


@bp.route("/evidence/<int:item_id>/events", methods=["POST"])
@requires("case.work")
def record_event(item_id: int):
    form = CustodyEventForm()
    if form.validate_on_submit():
        try:
            services.record_custody_event(
                db_session(),
                current_actor(),
                item_id,
                action=form.action.data or "",
                ts_utc=form_utc(form.ts_utc.data),
                now=now(),
                from_custodian=form.from_custodian.data or "",
                to_custodian=form.to_custodian.data or "",
                location=form.location.data or "",
                purpose=form.purpose.data or "",
                authority_ref=form.authority_ref.data or "",
                tool=form.tool.data or "",
                seal_ids=form.seal_ids.data or "",
                seal_condition=form.seal_condition.data or "",
                observed_sha256=form.observed_sha256.data or None,
                notes=form.notes.data or "",
                corrects_event_id=form.corrects_event_id.data or None,
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "action", _ALIASES)
        else:
            flash("Custody event recorded.", "info")
            return redirect(url_for("evidence.item", item_id=item_id) + "#custody")
    custody = services.custody_for_item(db_session(), current_actor(), item_id)
    return render_template(
        "evidence/item.html",
        custody=custody,
        item=custody.item,
        case=custody.case,
        can_write=True,
        event_form=form,
        serve_form=ServeForm(),
    ), 400


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII `filename=` for old clients and, when the name is not plain ASCII,
    `filename*=UTF-8''…` (RFC 8187) carrying the name as recorded."""
    fallback = services.safe_filename(filename)
    value = f'{kind}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}"
    return value


_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 8187 attr-char besides letters and digits


def _file_response(served: services.ServedFile, inline: bool) -> Response:
    response = Response(served.chunks, mimetype=served.media_type, direct_passthrough=True)
    response.content_length = served.size
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", served.filename
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/evidence/<int:item_id>/download", methods=["POST"])
@requires("case.work")
def download(item_id: int):
    form = ServeForm()
    if not form.validate_on_submit():
        abort(400)
    served = services.download(
        transactions(),
        current_actor(),
        item_id,
        store=_store(),
        purpose=form.purpose.data or "",
        now=now(),
    )
    return _file_response(served, inline=False)


@bp.route("/evidence/<int:item_id>/open", methods=["POST"])
@requires("case.work")
def open_file(item_id: int):
    form = ServeForm()
    if not form.validate_on_submit():
        abort(400)
    served = services.open_file(
        transactions(),
        current_actor(),
        item_id,
        store=_store(),
        purpose=form.purpose.data or "",
        now=now(),
    )
    return _file_response(served, inline=served.media_type in INLINE_TYPES)


@bp.route("/cases/<int:case_id>/custody-audit")
@requires("custody.audit")
def audit(case_id: int):
    overview = services.custody_audit(
        db_session(),
        current_actor(),
        case_id,
        now=now(),
        gap_days=current_app.config["CUSTODY_GAP_DAYS"],
    )
    return render_template(
        "evidence/audit.html",
        audit=overview,
        signer=current_app.extensions["caseflow.ledger_signer"],
        confirm=ConfirmForm(),
    )


@bp.route("/cases/<int:case_id>/custody-audit/verify", methods=["POST"])
@requires("custody.audit")
def audit_verify(case_id: int):
    if ConfirmForm().validate_on_submit():
        report = services.verify_custody(
            transactions(),
            current_actor(),
            _store(),
            case_id,
            signer=current_app.extensions["caseflow.ledger_signer"],
            now=now(),
        )
        if report.ok:
            flash("Custody verified: chain, tree, signatures and files intact.", "info")
        else:
            flash(f"Custody verification FAILED: {report.first_problem}", "error")
    return redirect(url_for("evidence.audit", case_id=case_id))


@bp.route("/cases/<int:case_id>/custody-audit/checkpoint", methods=["POST"])
@requires("custody.audit")
def audit_checkpoint(case_id: int):
    if ConfirmForm().validate_on_submit():
        actor = current_actor()
        case_services.case_for(db_session(), actor, case_id)
        url = current_app.config.get("TSA_URL")
        timestamper = None
        if url:
            from caseflow.evidence.timestamp import TimestampAuthority

            timestamper = TimestampAuthority(url)
        heads = services.sign_checkpoints(
            db_session(),
            actor,
            now(),
            signer=current_app.extensions["caseflow.ledger_signer"],
            timestamper=timestamper,
        )
        flash(f"Tree heads signed (custody size {heads[0].tree_size}).", "info")
    return redirect(url_for("evidence.audit", case_id=case_id))
