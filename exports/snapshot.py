"""The approval snapshot: everything a packet's document and annexes show, frozen as canonical
JSON bytes whose SHA-256 goes into the approval record. An export renders from the snapshot
only, so a case changed after approval cannot change the packet. No Flask, no caseflow.

`freeze(data)` keeps the request, the link chart, the evidence list with its hashes, the
custody extract with its proofs and signed checkpoint, the generation time and whether files
are included; evidence bytes are not copied (they are content-addressed by SHA-256 and
re-hashed at export). `thaw(blob, opener)` gives the same PacketData back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, BinaryIO

from exports import model
from exports.model import EvidenceAnnex, PacketData
from exports.verify import canonical_bytes

SNAPSHOT_SCHEMA = "caseflow.snapshot/1"


class SnapshotError(ValueError):
    """The bytes are not a snapshot this version can read."""


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("open_bytes", "path")
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise SnapshotError(f"naive datetime {value.isoformat()}: use UTC")
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def freeze(data: PacketData) -> bytes:
    """Canonical JSON (RFC 8785) of everything the packet shows; same data, same bytes."""
    return canonical_bytes({"schema": SNAPSHOT_SCHEMA, "packet": _plain(data)})


def digest(blob: bytes) -> str:
    """SHA-256 (hex) of a snapshot: what the approval record keeps."""
    return hashlib.sha256(blob).hexdigest()


def thaw(blob: bytes, opener: Callable[[str], Callable[[], BinaryIO]] | None = None) -> PacketData:
    """The PacketData a snapshot holds. `opener(sha256)` gives each evidence item's byte
    stream factory (None: manifest only). Raises SnapshotError for anything else."""
    try:
        document = json.loads(blob)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("schema") != SNAPSHOT_SCHEMA:
        raise SnapshotError(f"not a {SNAPSHOT_SCHEMA} snapshot")
    data: PacketData = _build(PacketData, document["packet"])
    if opener is not None:
        evidence = tuple(
            dataclasses.replace(item, open_bytes=opener(item.sha256)) for item in data.evidence
        )
        data = dataclasses.replace(data, evidence=evidence)
    return data


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        # Module names as locals too: a field named `date` must not hide the type `date`.
        _HINTS[cls] = typing.get_type_hints(cls, vars(model), vars(model))
    return _HINTS[cls]


def _build(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if value is None:
        return None
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        if kind is EvidenceAnnex:
            names -= {"open_bytes", "path"}
        return kind(**{n: _build(hints[n], value[n]) for n in names if n in value})
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_build(item, v) for v in value)
    if kind is datetime:
        return datetime.fromisoformat(value["$datetime"])
    if kind is date:
        return date.fromisoformat(value["$date"])
    return value
