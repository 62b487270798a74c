"""MLA request pages: form with the pre-flight checklist, approval, export and download,
workflow steps, and the "Requests" case panel and dashboard panel."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from wtforms.fields.choices import SelectChoice

from caseflow.auth.forms import ConfirmForm
from caseflow.cases.services import case_for
from caseflow.errors import AuthenticationError, CaseFlowError, ConflictError, ValidationError
from caseflow.extensions import db_session, rollback_unit, transactions
from caseflow.mla import forms, services
from caseflow.mla.routes import instrument
from caseflow.mla.signing import timestamping
from caseflow.web import current_actor, now, origin, requires
from caseflow.web.forms import field_error, form_utc
from caseflow.web.panels import case_panel, dashboard_panel

bp = Blueprint("mla", __name__)


def _treaties() -> dict[str, str]:
    return current_app.config.get("BILATERAL_TREATIES") or {}


def _packets_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "packets"


def _values(form: forms.RequestForm) -> dict[str, object]:
    values = {name: getattr(form, name).data for name in services.REQUEST_FIELDS}
    values["time_from"] = form_utc(form.time_from.data)
    values["time_to"] = form_utc(form.time_to.data)
    values["data_categories"] = form.data_categories.data or []
    return values


@bp.route("/cases/<int:case_id>/requests/new", methods=["GET", "POST"])
@requires("request.prepare")
def create(case_id: int):
    actor = current_actor()
    case = case_for(db_session(), actor, case_id, write=True)
    form = forms.RequestForm()
    if not form.is_submitted():
        form.contact_person.data = actor.username
    if form.validate_on_submit():
        values = _values(form)
        try:
            req = services.create_request(
                db_session(),
                actor,
                case_id,
                requested_state=str(values.pop("requested_state")),
                now=now(),
                treaties=_treaties(),
                **values,
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "requested_state")
        else:
            flash(f"Request R-{req.number:02d} drafted.", "info")
            return redirect(url_for("mla.detail", request_id=req.id))
    status = 400 if form.errors else 200
    return render_template("mla/form.html", form=form, case=case, req=None), status


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@requires("request.prepare")
def edit(request_id: int):
    session = db_session()
    req = services.view_request(session, current_actor(), request_id)
    case = case_for(session, current_actor(), req.case_id)
    form = forms.RequestForm(obj=req)
    if not form.is_submitted():
        form.data_categories.data = sorted(req.categories)
        form.time_from.data = req.time_from.replace(tzinfo=None) if req.time_from else None
        form.time_to.data = req.time_to.replace(tzinfo=None) if req.time_to else None
    if form.validate_on_submit():
        try:
            services.update_request(
                session,
                current_actor(),
                request_id,
                now=now(),
                treaties=_treaties(),
                **_values(form),
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "requested_state")
        else:
            flash("Request saved.", "info")
            return redirect(url_for("mla.detail", request_id=request_id))
    status = 400 if form.errors else 200
    return render_template("mla/form.html", form=form, case=case, req=req), status


def _detail_context(request_id: int) -> dict[str, object]:
    session = db_session()
    actor = current_actor()
    req = services.view_request(session, actor, request_id)
    case = case_for(session, actor, req.case_id)
    annex_form = forms.AnnexForm()
    annex_form.evidence.choices = [
        SelectChoice(i.id, f"{i.reference} {i.description[:60]}")
        for i in services.case_evidence_choices(session, actor, case.id)
    ]
    # Annexes are named as the case names its exhibits, not by database id.
    annex_labels = {c.value: c.label for c in annex_form.evidence.choices}
    identifier_form = forms.IdentifierForm()
    identifier_form.entity.choices = [
        SelectChoice(e.id, f"{e.kind}: {e.value}")
        for e in services.case_entity_choices(session, actor, case.id)
    ]
    basis_form = forms.BasisForm(code=req.legal_basis)
    export_form = forms.ExportForm(recipient=req.central_authority or req.holder_name)
    return {
        "req": req,
        "case": case,
        "reference": services.reference(case, req),
        "instrument": instrument(req.legal_basis),
        "proposed": instrument(req.proposed_basis) if req.proposed_basis else None,
        "checklist": services.checklist(req, on=now().date(), treaties=_treaties()),
        "clocks": services.request_clocks(req),
        "editable": req.status in services.EDITABLE_STATUSES,
        "basis_form": basis_form,
        "offence_form": forms.OffenceForm(),
        "annex_form": annex_form,
        "annex_labels": annex_labels,
        "identifier_form": identifier_form,
        "export_form": export_form,
        "sent_form": forms.SentForm(sent_to=req.central_authority),
        "ack_form": forms.AcknowledgedForm(),
        "close_form": forms.CloseForm(),
        "confirm": ConfirmForm(),
        "today": now(),
        "accepted_languages": services.accepted_languages(req),
        "declared_languages": services.accepted_languages(req, declared_only=True),
        "language_records": services.language_records(session, req.id),
        "language_gap": services.language_gap(req, services.language_records(session, req.id)),
        "languages_open": req.status in ("draft", "returned", "submitted"),
        "translation_form": forms.TranslationForm(),
        "reason_form": forms.LanguageReasonForm(),
        "reopen_form": forms.ReopenForm(),
    }


@bp.route("/requests/<int:request_id>")
@requires("case.work")
def detail(request_id: int):
    return render_template("mla/detail.html", **_detail_context(request_id))


def _back(request_id: int, anchor: str = ""):
    return redirect(url_for("mla.detail", request_id=request_id) + anchor)


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


def _attempt(request_id: int, form, action, success: str, anchor: str = ""):
    """Run a button/short-form workflow step; domain errors come back as flash messages.
    Access is checked first: an outsider is refused whatever the form holds."""
    services.check_request_access(db_session(), current_actor(), request_id)
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(request_id, anchor)
    try:
        action(form)
    except (ValidationError, AuthenticationError) as exc:
        rollback_unit()
        flash(exc.message, "error")
    else:
        flash(success, "info")
    return _back(request_id, anchor)


@bp.route("/requests/<int:request_id>/basis", methods=["POST"])
@requires("request.prepare")
def set_basis(request_id: int):
    return _attempt(
        request_id,
        forms.BasisForm(),
        lambda f: services.set_legal_basis(
            db_session(),
            current_actor(),
            request_id,
            code=f.code.data,
            reason=f.reason.data or "",
            now=now(),
            treaties=_treaties(),
        ),
        "Legal basis set.",
        "#basis",
    )


@bp.route("/requests/<int:request_id>/offences", methods=["POST"])
@requires("request.prepare")
def add_offence(request_id: int):
    return _attempt(
        request_id,
        forms.OffenceForm(),
        lambda f: services.add_offence(
            db_session(),
            current_actor(),
            request_id,
            name=f.name.data or "",
            provision=f.provision.data or "",
            maximum_penalty=f.maximum_penalty.data or "",
            tags=f.tags.data or [],
            by_information_system=f.by_information_system.data or "unknown",
            now=now(),
        ),
        "Offence added.",
        "#offences",
    )


@bp.route("/requests/<int:request_id>/offences/<int:offence_id>/remove", methods=["POST"])
@requires("request.prepare")
def remove_offence(request_id: int, offence_id: int):
    return _attempt(
        request_id,
        ConfirmForm(),
        lambda f: services.remove_offence(
            db_session(), current_actor(), request_id, offence_id, now=now()
        ),
        "Offence removed.",
        "#offences",
    )


@bp.route("/requests/<int:request_id>/identifiers", methods=["POST"])
@requires("request.prepare")
def add_identifier(request_id: int):
    form = forms.IdentifierForm()
    form.entity.choices = None  # validated by the service (an entity of this case)
    form.entity.validate_choice = False
    return _attempt(
        request_id,
        form,
        lambda f: services.add_identifier(
            db_session(),
            current_actor(),
            request_id,
            int(f.entity.data or 0),
            relevance=f.relevance.data or "",
            observed_at=form_utc(f.observed_at.data),
            port=f.port.data,
            now=now(),
        ),
        "Identifier added.",
        "#identifiers",
    )


@bp.route("/requests/<int:request_id>/identifiers/<int:identifier_id>/remove", methods=["POST"])
@requires("request.prepare")
def remove_identifier(request_id: int, identifier_id: int):
    return _attempt(
        request_id,
        ConfirmForm(),
        lambda f: services.remove_identifier(
            db_session(), current_actor(), request_id, identifier_id, now=now()
        ),
        "Identifier removed.",
        "#identifiers",
    )


@bp.route("/requests/<int:request_id>/annexes", methods=["POST"])
@requires("request.prepare")
def add_annex(request_id: int):
    form = forms.AnnexForm()
    form.evidence.choices = None  # validated by the service (same case, file held)
    form.evidence.validate_choice = False
    return _attempt(
        request_id,
        form,
        lambda f: services.add_annex(
            db_session(), current_actor(), request_id, int(f.evidence.data or 0), now=now()
        ),
        "Evidence annex added.",
        "#annexes",
    )


@bp.route("/requests/<int:request_id>/annexes/<int:annex_id>/remove", methods=["POST"])
@requires("request.prepare")
def remove_annex(request_id: int, annex_id: int):
    return _attempt(
        request_id,
        ConfirmForm(),
        lambda f: services.remove_annex(
            db_session(), current_actor(), request_id, annex_id, now=now()
        ),
        "Evidence annex removed.",
        "#annexes",
    )


@bp.route("/requests/<int:request_id>/translations", methods=["POST"])
@requires("request.prepare")
def add_translation(request_id: int):
    def attach(f: forms.TranslationForm) -> None:
        upload = f.file.data
        services.add_translation(
            db_session(),
            current_actor(),
            request_id,
            language=f.language.data or "",
            translator_name=f.translator_name.data or "",
            certification=f.certification.data or "",
            filename=upload.filename or "",
            data=upload.read(services.MAX_TRANSLATION_BYTES + 1),
            now=now(),
        )

    return _attempt(
        request_id, forms.TranslationForm(), attach, "Translation attached.", "#languages"
    )


@bp.route("/requests/<int:request_id>/language-reason", methods=["POST"])
@requires("request.prepare")
def language_reason(request_id: int):
    return _attempt(
        request_id,
        forms.LanguageReasonForm(),
        lambda f: services.record_language_reason(
            db_session(),
            current_actor(),
            request_id,
            reason=f.language_reason.data or "",
            now=now(),
        ),
        "Reason recorded.",
        "#languages",
    )


@bp.route("/requests/<int:request_id>/submit", methods=["POST"])
@requires("request.prepare")
def submit(request_id: int):
    return _attempt(
        request_id,
        ConfirmForm(),
        lambda f: services.submit_request(
            db_session(), current_actor(), request_id, now=now(), treaties=_treaties()
        ),
        "Submitted for approval.",
    )


@bp.route("/requests/<int:request_id>/approve", methods=["GET", "POST"])
@requires("request.approve")
def approve(request_id: int):
    context = _detail_context(request_id)
    form = forms.DecisionForm()
    if form.validate_on_submit():
        args = {
            "totp_code": (form.code.data or "").strip(),
            "settings": current_app.extensions["caseflow.auth"],
            "origin": origin(),
            "now": now(),
        }
        try:
            if form.decision.data == "approve":
                block = services.AuthorityBlock(
                    **{name: getattr(form, name).data or "" for name in forms.AUTHORITY_FIELDS}
                )
                services.approve_request(
                    db_session(),
                    current_actor(),
                    request_id,
                    authority=block,
                    ledger_signer=current_app.extensions["caseflow.ledger_signer"],
                    signer=current_app.extensions["caseflow.packet_signer"],
                    authorities=current_app.extensions["caseflow.authority_signers"],
                    tsa=timestamping(
                        current_app.config["TSA_URL"],
                        current_app.config["TSA_CA_FILE"],
                        current_app.config["TSA_CRL_FILES"],
                    ),
                    organisation=current_app.config["ORGANISATION"],
                    **args,
                )
                flash("Request approved.", "info")
            else:
                services.return_request(
                    db_session(),
                    current_actor(),
                    request_id,
                    reason=form.reason.data or "",
                    **args,
                )
                flash("Request returned to its author.", "info")
        except (ValidationError, AuthenticationError, ConflictError) as exc:
            rollback_unit()
            field_error(form, exc, "code")
        else:
            return _back(request_id)
    status = 400 if form.errors else 200
    return render_template("mla/approve.html", form=form, **context), status


@bp.route("/requests/<int:request_id>/export", methods=["POST"])
@requires("request.prepare")
def export(request_id: int):
    # An outsider is refused (404) before the form is read, in a read that ends here.
    with transactions().read() as session:
        services.check_request_access(session, current_actor(), request_id)
    form = forms.ExportForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back(request_id, "#export")
    try:
        result = services.export_packet(
            transactions(),
            current_actor(),
            request_id,
            recipient=form.recipient.data or "",
            signer=current_app.extensions["caseflow.packet_signer"],
            store=current_app.extensions["caseflow.blobstore"],
            out_dir=_packets_dir(),
            now=now(),
        )
    except CaseFlowError as exc:
        rollback_unit()
        flash(exc.message, "error")
        return _back(request_id, "#export")
    flash(f"Packet exported (SHA-256 {result.sha256}).", "info")
    return _back(request_id, "#export")


@bp.route("/requests/<int:request_id>/packet.zip")
@requires("request.prepare")
def download(request_id: int):
    session = db_session()
    req = services.view_request(session, current_actor(), request_id)
    case = case_for(session, current_actor(), req.case_id)
    path = services.packet_file(session, current_actor(), request_id, out_dir=_packets_dir())
    name = services.reference(case, req).replace("/", "_") + ".zip"
    response = send_file(
        path, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/requests/<int:request_id>/reopen", methods=["POST"])
@requires("request.prepare")
def reopen(request_id: int):
    return _attempt(
        request_id,
        forms.ReopenForm(),
        lambda f: services.reopen_request(
            db_session(), current_actor(), request_id, reason=f.reopen_reason.data or "", now=now()
        ),
        "Reopened: resubmit it for a new approval.",
    )


@bp.route("/requests/<int:request_id>/sent", methods=["POST"])
@requires("request.prepare")
def sent(request_id: int):
    return _attempt(
        request_id,
        forms.SentForm(),
        lambda f: services.mark_sent(
            db_session(), current_actor(), request_id, sent_to=f.sent_to.data or "", now=now()
        ),
        "Marked as sent; clocks started.",
    )


@bp.route("/requests/<int:request_id>/acknowledged", methods=["POST"])
@requires("request.prepare")
def acknowledged(request_id: int):
    return _attempt(
        request_id,
        forms.AcknowledgedForm(),
        lambda f: services.mark_acknowledged(
            db_session(),
            current_actor(),
            request_id,
            foreign_reference=f.foreign_reference.data or "",
            now=now(),
        ),
        "Marked as acknowledged.",
    )


@bp.route("/requests/<int:request_id>/extend", methods=["POST"])
@requires("request.prepare")
def extend(request_id: int):
    return _attempt(
        request_id,
        ConfirmForm(),
        lambda f: services.record_extension(db_session(), current_actor(), request_id, now=now()),
        "Extension recorded.",
    )


@bp.route("/requests/<int:request_id>/close", methods=["POST"])
@requires("request.prepare")
def close(request_id: int):
    return _attempt(
        request_id,
        forms.CloseForm(),
        lambda f: services.close_request(
            db_session(),
            current_actor(),
            request_id,
            outcome=f.outcome.data,
            note=f.note.data or "",
            now=now(),
        ),
        "Request closed.",
    )


@case_panel("requests", "Requests", "mla/_case_panel.html", order=70)
def _case_requests(session, actor, case) -> dict[str, object]:
    return {
        "case": case,
        "requests": [
            (services.reference(case, r), r)
            for r in services.case_requests(session, actor, case.id)
        ],
        "due": services.due_items(session, actor, now(), case_id=case.id),
    }


@dashboard_panel("request-deadlines", "Request deadlines", "mla/_dashboard_panel.html", order=40)
def _dashboard_due(session, actor, today) -> dict[str, object]:
    items = services.due_items(session, actor, now())
    return {"due": [i for i in items if i.state != "later"]}
