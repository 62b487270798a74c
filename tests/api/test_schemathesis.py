"""Property-based API tests: schemathesis generates requests from /api/v1/openapi.json and
checks the answers against it (no server errors, documented statuses, bodies and types)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.api.v1._core import OPERATIONS
from tests.api.helpers import add_entity, bearer, issue_token, link_entities
from tests.factories import add_member, make_case, make_user

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@dataclass(frozen=True)
class Seeded:
    case_id: int
    member_id: int
    entity_id: int
    link_id: int
    secret: str


@pytest.fixture
def seeded(app) -> Seeded:
    """An officer owning a case with one more member, two linked identifiers, and a write
    token of the officer's."""
    owner = make_user(app, "officer")
    colleague = make_user(app, "liaison")
    case_id = make_case(app, owner, title="Fuzzed case").id
    member_id = add_member(app, owner, case_id, colleague).id
    phone_id = add_entity(app, owner, case_id, "phone", "+44 7700 900321")
    email_id = add_entity(app, owner, case_id, "email", "fuzz@example.com")
    link_id = link_entities(app, owner, case_id, phone_id, email_id, "SAME_AS")
    secret = issue_token(app, owner, scope="write", days=90)
    return Seeded(case_id, member_id, phone_id, link_id, secret)


@pytest.fixture
def api_schema(app):
    config = SchemathesisConfig.from_dict({"generation": {"deterministic": True}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


# Parametrized from the registry the document is built from, one test per operation and
# mode. (schemathesis.pytest.from_fixture does not run under pytest 9: it reads a private
# node attribute, so each test drives an operation's strategy with Hypothesis directly.)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.endpoint)
def test_the_api_conforms_to_its_openapi_document(api_schema, seeded, op, mode):
    operation = api_schema[op.path][op.method]
    # Aim requests at the seeded case and member, so they reach the services, not a 404.
    ids = {
        "case_id": seeded.case_id,
        "member_id": seeded.member_id,
        "entity_id": seeded.entity_id,
        "link_id": seeded.link_id,
    }
    fixed = {name: ids[name] for name in op.path_params}

    @given(case=operation.as_strategy(mode, path_parameters=fixed or None))
    # Bodies get more examples than reads, whose only inputs are page, per_page and the
    # purpose header: that keeps the whole run (two modes x every operation) bounded.
    @settings(
        max_examples=15 if op.request is not None else 8,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers=bearer(seeded.secret), checks=CHECKS)

    run()
