"""Case pages: list, create, open, edit, members, tasks, supervisors' purpose."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from caseflow import policy
from caseflow.auth.forms import ConfirmForm
from caseflow.cases import services
from caseflow.cases.forms import CaseForm, EditCaseForm, MemberForm, PurposeForm, TaskForm
from caseflow.errors import ValidationError
from caseflow.extensions import db_session, rollback_unit
from caseflow.web import current_actor, now, remember_purpose, requires
from caseflow.web.forms import field_error
from caseflow.web.panels import CASE_PANELS, render_list
from caseflow.web.safety import safe_next

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _submit_inline_form(form, call, done: str) -> None:
    """Forms embedded in the case page: run `call` if valid; report the outcome as flashes
    (the page they live on is a redirect away)."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return
    try:
        call()
        flash(done, "info")
    except ValidationError as exc:
        rollback_unit()
        flash(exc.message, "error")


@bp.route("/")
@requires("case.work")
def index():
    board = services.dashboard(db_session(), current_actor(), today=now().date())
    return render_template("cases/index.html", cases=board.cases)


@bp.route("/new", methods=["GET", "POST"])
@requires("case.create")
def create():
    form = CaseForm()
    if form.validate_on_submit():
        try:
            case = services.open_case(
                db_session(),
                current_actor(),
                title=form.title.data or "",
                summary=form.summary.data or "",
                lead_jurisdiction=form.lead_jurisdiction.data or "",
                involved_jurisdictions=[
                    c.strip() for c in (form.involved.data or "").split(",") if c.strip()
                ],
                priority=form.priority.data or "normal",
                now=now(),
            )
        except ValidationError as exc:
            rollback_unit()
            if exc.field == "involved_jurisdictions":
                exc.field = "involved"
            field_error(form, exc, "title")
        else:
            flash(f"Case {case.reference} opened.", "info")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 400 if form.errors else 200
    return render_template("cases/new.html", form=form), status


@bp.route("/<int:case_id>")
@requires("case.work")
def detail(case_id: int):
    actor = current_actor()
    case = services.view_case(db_session(), actor, case_id)
    mine = services.membership(db_session(), actor, case.id)
    return render_template(
        "cases/detail.html",
        case=case,
        panels=render_list(CASE_PANELS, db_session(), actor, case),
        read_only=mine is None,
        manage_members=policy.can_manage_members(actor, member_role=mine.role if mine else None),
        member_form=MemberForm(),
        task_form=TaskForm(),
        confirm=ConfirmForm(),
        today=now().date(),
    )


@bp.route("/<int:case_id>/purpose", methods=["GET", "POST"])
@requires("case.supervise")
def purpose(case_id: int):
    form = PurposeForm()
    if form.validate_on_submit():
        try:
            stated = services.state_purpose(
                db_session(), current_actor(), case_id, form.purpose.data or ""
            )
        except ValidationError as exc:
            rollback_unit()
            form.purpose.errors.append(exc.message)
        else:
            remember_purpose(case_id, stated)
            return redirect(
                safe_next(request.args.get("next"), url_for("cases.detail", case_id=case_id))
            )
    status = 400 if form.errors else 200
    return render_template("cases/purpose.html", form=form, case_id=case_id), status


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@requires("case.work")
def edit(case_id: int):
    actor = current_actor()
    case = services.case_for(db_session(), actor, case_id, write=True)
    form = EditCaseForm(obj=case)
    if form.validate_on_submit():
        try:
            services.update_case(
                db_session(),
                actor,
                case_id,
                now=now(),
                title=form.title.data or "",
                summary=form.summary.data or "",
                status=form.status.data or "",
                priority=form.priority.data or "",
            )
        except ValidationError as exc:
            rollback_unit()
            field_error(form, exc, "title")
        else:
            flash("Case updated.", "info")
            return redirect(url_for("cases.detail", case_id=case_id))
    case = services.view_case_form(db_session(), actor, case_id)  # shown: audited
    status = 400 if form.errors else 200
    return render_template("cases/edit.html", form=form, case=case), status


@bp.route("/<int:case_id>/members", methods=["POST"])
@requires("case.work")
def add_member(case_id: int):
    # Access first: an outsider's invalid form must be refused, not answered with flashes.
    services.case_for(db_session(), current_actor(), case_id, write=True)
    form = MemberForm()
    _submit_inline_form(
        form,
        lambda: services.add_member(
            db_session(),
            current_actor(),
            case_id,
            username=form.username.data or "",
            role=form.role.data or "",
            now=now(),
        ),
        "Member added.",
    )
    return redirect(url_for("cases.detail", case_id=case_id) + "#members")


@bp.route("/<int:case_id>/members/<int:member_id>/remove", methods=["POST"])
@requires("case.work")
def remove_member(case_id: int, member_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_member(db_session(), current_actor(), case_id, member_id, now=now())
            flash("Member removed.", "info")
        except ValidationError as exc:
            rollback_unit()
            flash(exc.message, "error")
    return redirect(url_for("cases.detail", case_id=case_id) + "#members")


@bp.route("/<int:case_id>/tasks", methods=["POST"])
@requires("case.work")
def add_task(case_id: int):
    # Access first: an outsider's invalid form must be refused, not answered with flashes.
    services.case_for(db_session(), current_actor(), case_id, write=True)
    form = TaskForm()
    _submit_inline_form(
        form,
        lambda: services.add_task(
            db_session(),
            current_actor(),
            case_id,
            title=form.title.data or "",
            kind=form.kind.data or "task",
            assignee=form.assignee.data,
            due_on=form.due_on.data,
            now=now(),
        ),
        "Task added.",
    )
    return redirect(url_for("cases.detail", case_id=case_id) + "#tasks")


@bp.route("/<int:case_id>/tasks/<int:task_id>/done", methods=["POST"])
@requires("case.work")
def complete_task(case_id: int, task_id: int):
    if ConfirmForm().validate_on_submit():
        services.complete_task(db_session(), current_actor(), case_id, task_id, now=now())
        flash("Task done.", "info")
    return redirect(url_for("cases.detail", case_id=case_id) + "#tasks")
