"""Entity pages: the case's Identifiers panel, add form, entity and link pages, link form,
ad intake (paste -> confirm -> create) and CSV import. Thin: each calls one service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from caseflow.auth.forms import ConfirmForm
from caseflow.cases import services as case_services
from caseflow.cases.models import Case
from caseflow.entities import services
from caseflow.entities.forms import AdForm, EntityForm, ImportForm, LinkForm
from caseflow.entities.inputs import KIND_LABELS, read_csv
from caseflow.errors import ValidationError
from caseflow.extensions import db_session, rollback_unit
from caseflow.web import current_actor, now, requires
from caseflow.web.forms import field_error
from caseflow.web.panels import case_panel

bp = Blueprint("entities", __name__, url_prefix="/cases/<int:case_id>")

PER_PAGE = 25


def _writable(case_id: int) -> Case:
    """Refuse early (404 / purpose / 403) before reading a form, as the services would."""
    return case_services.case_for(db_session(), current_actor(), case_id, write=True)


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@case_panel("identifiers", "Identifiers", "entities/_panel.html", order=20)
def _panel(session, actor, case: Case) -> dict[str, Any]:
    entities = services.list_case_entities(
        session, actor, case.id, page=_page_arg(), per_page=PER_PAGE, audit=False
    )
    hits = services.cross_case_hits(session, actor, case.id, now=now())
    read_only = case_services.membership(session, actor, case.id) is None
    return {"entities": entities, "hits": hits, "read_only": read_only, "kinds": KIND_LABELS}


_AD_FILTERS = {
    "ad_max_age": ("Stated age at most", "age"),
    "ad_min_price": ("Price from", "price"),
    "ad_max_price": ("Price up to", "price"),
    "ad_currency": ("Currency", "currency"),
    "ad_location": ("Place", "text"),
}


def _ad_filter() -> tuple[services.AdFilter, dict[str, str], dict[str, str]]:
    """The ads filter from the case page's query string: (filter, values, errors by field).
    A bad value is named with its rule and left out of the filter, never a 500."""
    values = {name: request.args.get(name, "").strip()[:100] for name in _AD_FILTERS}
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, (label, rule) in _AD_FILTERS.items():
        raw = values[name]
        if not raw:
            continue
        if rule == "age":
            if raw.isdigit() and 0 <= int(raw) <= 150:
                parsed["max_age"] = int(raw)
            else:
                errors[name] = f"{label}: a whole number of years from 0 to 150."
        elif rule == "price":
            try:
                amount = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                amount = Decimal(-1)
            if amount.is_finite() and 0 <= amount < 10**10:
                parsed[name.removeprefix("ad_")] = amount
            else:
                errors[name] = f"{label}: an amount such as 150 or 99.50."
        elif rule == "currency":
            if len(raw) == 3 and raw.isalpha():
                parsed["currency"] = raw.upper()
            else:
                errors[name] = f"{label}: a three-letter ISO 4217 code such as USD."
        else:
            parsed["location"] = raw
    values["ad_indicators"] = "y" if request.args.get("ad_indicators") else ""
    parsed["indicators"] = bool(values["ad_indicators"])
    return services.AdFilter(**parsed), values, errors


@case_panel("ads", "Ads", "entities/_ads_panel.html", order=22)
def _ads_panel(session, actor, case: Case) -> dict[str, Any]:
    filters, values, errors = _ad_filter()
    ads = services.list_case_ads(session, actor, case.id, filters, audit=False)
    return {"ads": ads, "values": values, "errors": errors, "filtered": filters.any()}


@bp.route("/entities/")
@requires("case.work")
def index(case_id: int):
    actor = current_actor()
    listing = services.list_case_entities(
        db_session(), actor, case_id, page=_page_arg(), per_page=PER_PAGE, now=now()
    )
    case = case_services.case_for(db_session(), actor, case_id)
    return render_template("entities/index.html", case=case, entities=listing, kinds=KIND_LABELS)


@bp.route("/entities/new", methods=["GET", "POST"])
@requires("case.work")
def new(case_id: int):
    case = _writable(case_id)
    form = EntityForm(kind=request.args.get("kind") or "phone")
    added = None
    if form.validate_on_submit():
        fields = form.input_fields()
        try:
            added = services.add_entity(
                db_session(),
                current_actor(),
                case_id,
                fields.pop("kind"),
                fields,
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "value")
        else:
            if added.already_in_case:
                flash(f"{added.entity.label} was already in this case.", "info")
            else:
                flash(f"{added.entity.label} added.", "info")
            if not added.hits:
                return redirect(
                    url_for("entities.detail", case_id=case_id, entity_id=added.entity.id)
                )
    status = 400 if form.errors else 200
    return render_template(
        "entities/new.html", case=case, form=form, added=added, kinds=KIND_LABELS
    ), status


@bp.route("/entities/<int:entity_id>")
@requires("case.work")
def detail(case_id: int, entity_id: int):
    view = services.view_entity(db_session(), current_actor(), case_id, entity_id, now=now())
    return render_template(
        "entities/detail.html", view=view, case=view.case, confirm=ConfirmForm(), kinds=KIND_LABELS
    )


@bp.route("/entities/<int:entity_id>/remove", methods=["POST"])
@requires("case.work")
def remove(case_id: int, entity_id: int):
    _writable(case_id)
    if ConfirmForm().validate_on_submit():
        services.remove_entity(db_session(), current_actor(), case_id, entity_id, now=now())
        flash("Identifier removed from this case; its links here were retracted.", "info")
    return redirect(url_for("cases.detail", case_id=case_id) + "#identifiers")


def _choice(row: services.EntityRow) -> SelectChoice:
    return SelectChoice(row.entity_id, f"{KIND_LABELS[row.kind]}: {row.label}")


@bp.route("/links/new", methods=["GET", "POST"])
@requires("case.work")
def new_link(case_id: int):
    case = _writable(case_id)
    actor = current_actor()
    rows = services.case_entity_choices(db_session(), actor, case_id, shown=request.method == "GET")
    choices = [_choice(r) for r in rows]
    form = LinkForm()
    form.source_id.choices = choices
    form.target_id.choices = choices
    if request.method == "GET" and request.args.get("source", "").isdigit():
        form.source_id.data = int(request.args["source"])
    if form.validate_on_submit():
        try:
            link = services.link_entities(
                db_session(),
                actor,
                case_id,
                source_id=form.source_id.data,
                target_id=form.target_id.data,
                type=form.type.data or "",
                confidence=form.confidence.data or "",
                assessment=form.assessment.data == "assessment",
                evidence_item_id=form.evidence_item_id.data,
                note=form.note.data,
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "type")
        else:
            flash("Link recorded.", "info")
            return redirect(url_for("entities.link", case_id=case_id, link_id=link.id))
    status = 400 if form.errors else 200
    return render_template("entities/link_new.html", case=case, form=form), status


@bp.route("/links/<int:link_id>")
@requires("case.work")
def link(case_id: int, link_id: int):
    case, row, read_only = services.view_link(
        db_session(), current_actor(), case_id, link_id, now=now()
    )
    return render_template(
        "entities/link.html",
        case=case,
        link=row,
        read_only=read_only,
        confirm=ConfirmForm(),
        kinds=KIND_LABELS,
    )


@bp.route("/links/<int:link_id>/retract", methods=["POST"])
@requires("case.work")
def retract(case_id: int, link_id: int):
    _writable(case_id)
    if ConfirmForm().validate_on_submit():
        services.retract_link(db_session(), current_actor(), case_id, link_id, now=now())
        flash("Link retracted. It stays on record, marked as retracted.", "info")
    return redirect(url_for("entities.link", case_id=case_id, link_id=link_id))


def _ad_text(form: AdForm) -> str:
    upload = form.text_file.data
    if upload and getattr(upload, "filename", ""):
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.text_file.errors.append("Text file: must be UTF-8 text.")
            return ""
    return form.text.data or ""


@bp.route("/ads/new", methods=["GET", "POST"])
@requires("case.work")
def new_ad(case_id: int):
    """Step 1 (paste or upload) -> step 2 (confirm page listing the candidates)."""
    case = _writable(case_id)
    form = AdForm()
    if form.validate_on_submit():
        text = _ad_text(form)
        if not text.strip() and not form.text_file.errors:
            form.text.errors.append("Text of the ad: paste it or upload a file.")
        if not form.errors:
            try:
                preview = services.preview_ad(
                    db_session(),
                    current_actor(),
                    case_id,
                    text,
                    form.platform.data,
                    site=form.value.data,
                )
            except ValidationError as exc:
                rollback_unit()
                form.text.errors.append(exc.message)
            else:
                form.text.data = text
                return render_template(
                    "entities/ad_confirm.html",
                    case=case,
                    form=form,
                    preview=preview,
                    keys=[services.candidate_key(c) for c in preview.candidates],
                    kinds=KIND_LABELS,
                )
    status = 400 if form.errors else 200
    return render_template("entities/ad_new.html", case=case, form=form), status


@bp.route("/ads/create", methods=["POST"])
@requires("case.work")
def create_ad(case_id: int):
    """Step 3: create the ad, the ticked identifiers and their links in one transaction;
    the page then lists which of them other cases already hold (hits)."""
    case = _writable(case_id)
    form = AdForm()
    if form.validate_on_submit():
        try:
            result = services.ingest_ad(
                db_session(),
                current_actor(),
                case_id,
                ad={
                    "value": form.value.data,
                    "platform": form.platform.data,
                    "posted_at": form.posted_at.data,
                    "title": form.title.data,
                },
                text=form.text.data or "",
                selected=request.form.getlist("selected"),
                posted_by=form.posted_by.data,
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "value")
        else:
            return render_template(
                "entities/ad_added.html", case=case, result=result, kinds=KIND_LABELS
            )
    return render_template("entities/ad_new.html", case=case, form=form), 400


@bp.route("/entities/import", methods=["GET", "POST"])
@requires("case.work")
def import_csv(case_id: int):
    """CSV import, processed within the request up to the web cap (larger files: the CLI);
    the result page lists every bad row."""
    case = _writable(case_id)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            data = form.file.data.read(services.MAX_WEB_IMPORT_BYTES + 1)
            services.check_web_import_size(size=len(data))
            rows = read_csv(data)
            report = services.import_csv(
                db_session(),
                current_actor(),
                case_id,
                rows,
                skip_bad=bool(form.skip_bad.data),
                now=now(),
                source_name=form.file.data.filename,
            )
        except ValidationError as exc:
            rollback_unit()
            form.file.errors.append(exc.message)
    status = 400 if form.errors or (report and not report.imported) else 200
    return render_template("entities/import.html", case=case, form=form, report=report), status
