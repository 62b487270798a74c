"""The graph view of a case (cytoscape.js, vendored) with a table of the same data, and the
JSON it loads: expand a node, find a path. No inline script: data travels in a JSON island."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from caseflow.analysis import services
from caseflow.cases.services import case_for
from caseflow.errors import ValidationError
from caseflow.extensions import db_session
from caseflow.graphsync.projector import backlog
from caseflow.web import current_actor, requires
from graph.records import Path, Subgraph

bp = Blueprint("analysis", __name__, url_prefix="/cases/<int:case_id>/graph")


def _graph():
    return current_app.extensions["caseflow.graph"]


def subgraph_json(sub: Subgraph) -> dict:
    """Cytoscape elements: entities, links, and one node per hidden case (a hit stub)."""
    nodes = [
        {
            "data": {
                "id": f"e{n.id}",
                "entity_id": n.id,
                "kind": n.kind,
                "label": n.label,
                "value": n.value,
                "cases": list(n.case_refs),
            }
        }
        for n in sub.nodes
    ]
    edges = [
        {
            "data": {
                "id": f"l{e.id}",
                "source": f"e{e.source_id}",
                "target": f"e{e.target_id}",
                "type": e.type,
            }
        }
        for e in sub.edges
    ]
    seen = set()
    for hit in sub.hits:
        key = f"h-{hit.case_reference}"
        if key not in seen:
            seen.add(key)
            nodes.append(
                {
                    "data": {
                        "id": key,
                        "kind": "hit",
                        "label": f"Hit: {hit.case_reference}",
                        "owner": f"{hit.owner_name} ({hit.owner_contact})",
                    }
                }
            )
        edges.append(
            {
                "data": {
                    "id": f"{key}-e{hit.via_entity_id}",
                    "source": f"e{hit.via_entity_id}",
                    "target": key,
                    "type": "ALSO_IN",
                }
            }
        )
    return {"nodes": nodes, "edges": edges, "truncated": sub.truncated}


@bp.route("/")
@requires("case.work")
def case_graph(case_id: int):
    """The case's graph, or with `?focus=<entity id>&depth=1..3` one entity's neighbourhood."""
    session = db_session()
    actor = current_actor()
    case = case_for(session, actor, case_id)
    focus = request.args.get("focus", "")
    depth = request.args.get("depth", "2")
    if (focus and not focus.isdigit()) or not depth.isdigit():
        raise ValidationError("Focus and depth: whole numbers.", field="focus")
    extra: dict[str, object] = {
        "clusters": (),
        "places": (),
        "focus": int(focus) if focus else None,
    }
    try:
        if focus:
            sub = services.neighbourhood(
                session, actor, _graph(), case_id, int(focus), depth=int(depth)
            )
            pending = backlog(session)
        else:
            result = services.case_graph(session, actor, _graph(), case_id)
            sub, pending = result.subgraph, result.backlog
            extra["clusters"] = services.ad_clusters(session, actor, _graph(), case_id)
            extra["places"] = services.jurisdictions(session, actor, _graph(), case_id)
    except services.GraphUnavailable as exc:
        return render_template(
            "analysis/graph.html",
            case=case,
            unavailable=exc,
            data=None,
            pending=exc.backlog,
            **extra,
        ), 503
    return render_template(
        "analysis/graph.html",
        case=case,
        unavailable=None,
        sub=sub,
        data=subgraph_json(sub),
        pending=pending,
        **extra,
    )


@bp.route("/expand/<int:entity_id>.json")
@requires("case.work")
def expand(case_id: int, entity_id: int):
    depth = request.args.get("depth", "1")
    if not depth.isdigit():
        raise ValidationError("Depth: 1, 2 or 3.", field="depth")
    sub = services.neighbourhood(
        db_session(), current_actor(), _graph(), case_id, entity_id, depth=int(depth)
    )
    return jsonify(subgraph_json(sub))


@bp.route("/path/<int:source_id>/<int:target_id>.json")
@requires("case.work")
def path(case_id: int, source_id: int, target_id: int):
    found = services.paths(db_session(), current_actor(), _graph(), case_id, source_id, target_id)
    return jsonify({"paths": [_path_json(p) for p in found]})


def _path_json(path: Path) -> dict:
    return {"nodes": [f"e{n.id}" for n in path.nodes], "edges": [f"l{e.id}" for e in path.edges]}


@bp.route("/status.json")
@requires("case.work")
def status(case_id: int):
    case_for(db_session(), current_actor(), case_id)
    return jsonify({"backlog": backlog(db_session())})
