"""The packet's custody as CASE/UCO JSON-LD (CASE 1.5.0): files with hashes, one
InvestigativeAction and ProvenanceRecord per custody entry, chained by `wasInformedBy`.

Node IDs end in UUIDv5 of stable inputs, so the same packet data gives the same graph.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from exports.model import EvidenceAnnex, PacketData

CONTEXT = {
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
DEFAULT_BASE = "urn:example:caseflow:kb:"
_NAMESPACE = uuid.UUID("6f0e4d0a-6d7b-5b0e-9a43-3c1f2b7a0c55")
_NAMESPACE_BYTES = _NAMESPACE.bytes


def _id(kind: str, *parts: object) -> str:
    """`kb:<kind>-<uuid5(_NAMESPACE, kind␟parts...)>`, computed without building UUID objects
    (a 20,000-entry packet needs ~140,000 of them); equal to `uuid.uuid5`."""
    name = "\x1f".join([kind, *(str(p) for p in parts)]).encode()
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name).digest()[:16])  # noqa: S324 - RFC 9562 UUIDv5
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"kb:{kind}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def _typed(value: object, xsd_type: str) -> dict[str, str]:
    return {"@type": f"xsd:{xsd_type}", "@value": str(value)}


def _file_nodes(item: EvidenceAnnex, scope: str) -> tuple[str, list[dict[str, Any]]]:
    file_id = _id("File", scope, item.number, item.sha256)
    hashes = []
    nodes: list[dict[str, Any]] = []
    for method, value in (("SHA256", item.sha256), ("SHA1", item.sha1), ("MD5", item.md5)):
        if not value:
            continue
        hash_id = _id("Hash", scope, item.number, method, value)
        hashes.append(_ref(hash_id))
        nodes.append(
            {
                "@id": hash_id,
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": method,
                "uco-types:hashValue": _typed(value.upper(), "hexBinary"),
            }
        )
    file_facet: dict[str, Any] = {
        "@id": _id("FileFacet", scope, item.number),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": item.filename,
        "uco-observable:sizeInBytes": _typed(item.size, "integer"),
    }
    content_facet: dict[str, Any] = {
        "@id": _id("ContentDataFacet", scope, item.number),
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:hash": hashes,
        "uco-observable:mimeType": item.media_type,
        "uco-observable:sizeInBytes": _typed(item.size, "integer"),
    }
    file_node = {
        "@id": file_id,
        "@type": "uco-observable:File",
        "uco-core:name": item.number,
        "uco-core:description": item.description,
        "uco-core:hasFacet": [_ref(file_facet["@id"]), _ref(content_facet["@id"])],
    }
    return file_id, [file_node, file_facet, content_facet, *nodes]


def _actor_name(record: Mapping[str, Any]) -> str | None:
    actor = record.get("actor")
    if isinstance(actor, dict | Mapping):  # dict first: the ABC check is slow
        actor = actor.get("name")
    return str(actor) if actor else None


def custody_jsonld(data: PacketData, base_iri: str = DEFAULT_BASE) -> dict[str, Any]:
    """The CASE/UCO JSON-LD document (see `iter_graph` for what it holds)."""
    return {"@context": {**CONTEXT, "kb": base_iri}, "@graph": list(iter_graph(data))}


def custody_jsonld_chunks(data: PacketData, base_iri: str = DEFAULT_BASE) -> Iterator[bytes]:
    """The same document as compact JSON with sorted keys, yielded in pieces of about 1 MiB,
    so a 20,000-entry graph is never held whole in memory. The bytes equal compact
    `json.dumps(custody_jsonld(data), sort_keys=True, ensure_ascii=False)` plus a newline."""
    encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    head = f'{{"@context":{encode({**CONTEXT, "kb": base_iri})},"@graph":['
    parts: list[str] = [head]
    batch: list[dict[str, Any]] = []
    size, first = 0, True

    def flush() -> None:
        # One encode call per batch of nodes: a list's compact JSON is its items joined by ","
        nonlocal size, first
        text = encode(batch)[1:-1]
        parts.append(text if first else "," + text)
        size += len(text)
        batch.clear()
        first = False

    for node in iter_graph(data):
        batch.append(node)
        if len(batch) == 512:
            flush()
            if size > 1 << 20:
                yield "".join(parts).encode()
                parts, size = [], 0
    if batch:
        flush()
    parts.append("]}\n")
    yield "".join(parts).encode()


def iter_graph(data: PacketData) -> Iterator[dict[str, Any]]:
    """Yield the JSON-LD nodes for the packet's evidence and custody entries.

    Per evidence item: a `uco-observable:File` with FileFacet and ContentDataFacet hashes
    (`hashMethod` a plain string, `hashValue` xsd:hexBinary). Per custody entry, in ledger
    order: a `case-investigation:InvestigativeAction` (name = action, performer, start time,
    location) whose result is a `case-investigation:ProvenanceRecord` (exhibit number, root
    exhibit number, object = the file); each action `wasInformedBy` the item's previous action
    and takes the previous record as object. Entries whose exhibit is not in the packet are
    still exported, with the record as their only object.
    """
    scope = data.request.case_reference
    files: dict[str, str] = {}
    for item in data.evidence:
        file_id, nodes = _file_nodes(item, scope)
        files[item.number] = file_id
        yield from nodes

    people: dict[str, str] = {}
    places: dict[str, str] = {}
    last_action: dict[str, str] = {}
    last_record: dict[str, str] = {}
    for entry in sorted(data.custody.entries, key=lambda e: e.index):
        record = entry.disclosed()
        number = str(record.get("exhibit_number") or "")
        root_number = str(record.get("root_exhibit_number") or number)
        action_id = _id("InvestigativeAction", scope, entry.entry_hash)
        record_id = _id("ProvenanceRecord", scope, entry.entry_hash)

        prov: dict[str, Any] = {
            "@id": record_id,
            "@type": "case-investigation:ProvenanceRecord",
            "uco-core:description": f"Custody ledger entry {entry.index}: {record.get('action')}",
            "case-investigation:exhibitNumber": number,
            "case-investigation:rootExhibitNumber": root_number,
        }
        objects = [_ref(files[number])] if number in files else []
        if not objects:
            prov["uco-core:description"] += f" of exhibit {number} (not in this packet)"
        prov["uco-core:object"] = objects or [_ref(action_id)]
        yield prov

        action: dict[str, Any] = {
            "@id": action_id,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": str(record.get("action") or "custody"),
            "uco-core:description": str(record.get("purpose") or ""),
            "uco-action:result": [_ref(record_id)],
        }
        if record.get("ts_utc"):
            action["uco-action:startTime"] = _typed(record["ts_utc"], "dateTime")
        name = _actor_name(record)
        if name:
            if name not in people:
                people[name] = _id("Person", scope, name)
                yield {"@id": people[name], "@type": "uco-identity:Person", "uco-core:name": name}
            action["uco-action:performer"] = _ref(people[name])
        place = record.get("location")
        if place:
            place = str(place)
            if place not in places:
                places[place] = _id("Location", scope, place)
                yield {
                    "@id": places[place],
                    "@type": "uco-location:Location",
                    "uco-core:name": place,
                }
            action["uco-action:location"] = [_ref(places[place])]
        inputs = [_ref(last_record[number])] if number in last_record else []
        if number in files:
            inputs.append(_ref(files[number]))
        if inputs:
            action["uco-action:object"] = inputs
        if number in last_action:
            action["case-investigation:wasInformedBy"] = [_ref(last_action[number])]
        yield action
        last_action[number] = action_id
        last_record[number] = record_id
