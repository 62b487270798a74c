"""graph.records: outbox ops are validated where they are built."""

from dataclasses import asdict

import pytest

from graph.records import (
    OP_FIELDS,
    CaseNode,
    EntityNode,
    GraphOp,
    GraphOpError,
    LinkEdge,
    Membership,
)


def test_unknown_op_is_refused():
    with pytest.raises(GraphOpError, match="unknown graph op"):
        GraphOp("drop_everything", {})


@pytest.mark.parametrize("op", sorted(OP_FIELDS))
def test_payload_with_a_missing_key_is_refused(op):
    payload = dict.fromkeys(OP_FIELDS[op], 1)
    payload.pop(OP_FIELDS[op][-1] if op != "upsert_entity" else "id")
    with pytest.raises(GraphOpError, match="needs"):
        GraphOp(op, payload)


def test_payload_with_an_extra_key_is_refused():
    with pytest.raises(GraphOpError):
        GraphOp("delete_link", {"id": 1, "case_id": 2})


def test_constructors_build_valid_json_payloads():
    ops = [
        GraphOp.upsert_entity(EntityNode(1, "phone", "+447700900001", "Phone", None)),
        GraphOp.upsert_case(CaseNode(1, "CF-2026-0001", "Ann", "ann@example.com")),
        GraphOp.add_membership(Membership(1, 1)),
        GraphOp.remove_membership(Membership(1, 1)),
        GraphOp.upsert_link(LinkEdge(5, "PAID", 1, 2, 1, "high", True)),
        GraphOp.delete_link(5),
    ]
    assert [o.op for o in ops] == list(OP_FIELDS)
    assert all(GraphOp(o.op, asdict(o)["payload"]) == o for o in ops)
    # jurisdiction is optional in an entity payload (older outbox rows lack it)
    GraphOp("upsert_entity", {"id": 1, "kind": "ad", "value": "x", "label": "x"})
