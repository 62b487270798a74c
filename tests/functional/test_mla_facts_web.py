"""The request form asks every fact the legal-basis resolver uses, "not known yet" is a valid
answer that blocks only the routes needing it, and nothing unanswered is assumed or printed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.mla.models import MlaOffence, MlaRequest
from tests.factories import COMPLETE_FIELDS, make_case, make_user
from tests.helpers import csrf_token

# Every fact the resolver (caseflow.mla.routes.BasisFacts.of) reads, by its form field.
RESOLVER_FIELDS = (
    "requested_state",
    "measure",
    "data_categories",
    "holder_kind",
    "holder_eu_presence",
    "holder_eu_state",
    "issuing_authority_type",
    "transnational",
    "organised_group",
    "child_exploitation",
    "urgency",
)
ANSWERS = ("transnational", "organised_group", "child_exploitation", "production_to_follow")


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def case_id(app, clock, liaison):
    with app.app_context():
        from caseflow.extensions import db_session

        session = db_session()
        case = make_case(session, liaison, now=clock())
        session.commit()
        return case.id


def post(client, page, action, data):
    return client.post(action, data={**data, "csrf_token": csrf_token(client, page)})


def draft(client, case_id, **fields):
    page = f"/cases/{case_id}/requests/new"
    response = post(client, page, page, fields)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_form_asks_every_fact_the_resolver_uses_and_assumes_none(
    auth, client, liaison, case_id
):
    auth.login(liaison)
    page = client.get(f"/cases/{case_id}/requests/new").get_data(as_text=True)
    for name in RESOLVER_FIELDS:
        assert f'name="{name}"' in page, name
    # Plain-language help, from the same data as the checklist.
    assert "significant and imminent risk to the life" in page
    assert "Three or more persons acting in concert" in page
    assert "designated establishment or a legal representative" in page
    # Every yes/no fact starts at "Not known yet"; every choice does too.
    for name in ANSWERS:
        checked = re.findall(rf'<input[^>]*checked[^>]*name="{name}"[^>]*>', page)
        assert len(checked) == 1 and 'value="unknown"' in checked[0], name
    for name in ("measure", "holder_kind", "holder_eu_presence", "issuing_authority_type"):
        selected = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
        assert selected and re.search(
            r'selected value="unknown"|value="unknown" selected', selected[0]
        )


def test_unanswered_facts_are_stored_as_unknown_not_as_defaults(auth, client, db, liaison, case_id):
    auth.login(liaison)
    request_id = draft(client, case_id, requested_state="TH")
    req = db.get(MlaRequest, request_id)
    assert (req.measure, req.categories, req.holder_kind) == ("unknown", frozenset(), "unknown")
    assert req.holder_eu_presence == req.issuing_authority_type == "unknown"
    for name in ANSWERS:
        assert getattr(req, name) == "unknown", name
    # No OPSC citation from a child-offence box nobody ticked.
    assert "OPSC-6" not in req.supplements
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "not known yet" in page


def test_an_unknown_untoc_scope_blocks_only_untoc_and_says_what_would_open_it(
    auth, client, db, liaison, case_id
):
    auth.login(liaison)
    facts = {
        **{k: v for k, v in COMPLETE_FIELDS.items() if not k.startswith("time_")},
        "requested_state": "TH",
        "measure": "obtain",
        "data_categories": ["subscriber"],
        "transnational": "unknown",
        "organised_group": "unknown",
    }
    request_id = draft(client, case_id, **facts)
    req = db.get(MlaRequest, request_id)
    assert req.legal_basis != "UNTOC-18"
    assert "UNTOC Art. 18 would be preferred if it is answered" in req.basis_explanation
    db.rollback()
    detail = f"/requests/{request_id}"
    offence = {"name": "Trafficking in children", "provision": "s. 2", "maximum_penalty": "life"}
    post(client, detail, f"{detail}/offences", offence)
    page = f"/requests/{request_id}/edit"
    response = post(client, page, page, {**facts, "transnational": "yes", "organised_group": "yes"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(MlaRequest, request_id).legal_basis == "UNTOC-18"


def test_a_search_between_eu_states_is_never_an_epoc(auth, client, db, liaison, case_id):
    # Reviewer: FR -> IE "search-or-testimony" was proposed as an EPOC.
    auth.login(liaison)
    with client.application.app_context():
        from caseflow.extensions import db_session

        case = db_session().get(Case, case_id)
        case.lead_jurisdiction = "FR"
        db_session().commit()
    request_id = draft(
        client,
        case_id,
        requested_state="IE",
        measure="obtain",
        data_categories=["search", "hearing"],
        holder_kind="service-provider",
        holder_eu_presence="designated-establishment",
        issuing_authority_type="judge",
    )
    req = db.get(MlaRequest, request_id)
    assert req.legal_basis not in ("EPOC", "EPOC-PR")
    assert "EPOC" in req.basis_explanation  # and it says why not


def test_a_bad_answer_is_refused_naming_the_field_and_nothing_is_written(
    auth, client, db, liaison, case_id
):
    auth.login(liaison)
    page = f"/cases/{case_id}/requests/new"
    response = post(client, page, page, {"requested_state": "TH", "transnational": "maybe"})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    response = post(client, page, page, {"requested_state": "TH", "holder_eu_state": "XX"})
    assert response.status_code == 400
    assert "State of the EU establishment" in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(MlaRequest)) == 0


def test_an_offence_penalty_must_read_as_a_penalty(auth, client, db, liaison, case_id):
    auth.login(liaison)
    request_id = draft(client, case_id, requested_state="TH")
    detail = f"/requests/{request_id}"
    response = post(
        client,
        detail,
        f"{detail}/offences",
        {"name": "Fraud", "provision": "s. 1", "maximum_penalty": "a long time"},
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Maximum penalty:" in page and "is not a penalty" in page
    assert db.scalar(sa.select(sa.func.count()).select_from(MlaOffence)) == 0
    db.rollback()
    post(
        client,
        detail,
        f"{detail}/offences",
        {
            "name": "Distribution of child sexual abuse material",
            "provision": "s. 1 Protection of Children Act 1978",
            "maximum_penalty": "10 years",
            "tags": ["child-sexual-abuse"],
            "by_information_system": "yes",
        },
    )
    offence = db.scalars(sa.select(MlaOffence)).one()
    assert offence.tag_set == {"child-sexual-abuse"}
    assert offence.by_information_system == "yes"
    actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("request.offence_add") == 1


def test_the_proposal_explains_itself_to_the_officer_only(auth, client, liaison, case_id):
    auth.login(liaison)
    request_id = draft(
        client,
        case_id,
        requested_state="TH",
        measure="obtain",
        data_categories=["subscriber"],
        transnational="unknown",
        child_exploitation="yes",
    )
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    why = page[page.find('id="basis-why"') :][:6000]
    assert "never printed in the request" in why
    assert "Not used: " in why and "because" in why  # why not the preferred routes
    assert 'class="open-question"' in why  # what an answer would open
    assert 'class="unconfirmed"' in why and "Unconfirmed directory entry:" in why
