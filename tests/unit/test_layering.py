"""The boundary between the Flask app and its Flask-free packages, enforced by reading imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_ADAPTERS = {"flask", "flask_login", "flask_wtf", "sqlalchemy", "caseflow"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["graph", "exports"])
def test_adapter_packages_import_no_flask_sqlalchemy_or_caseflow(folder):
    files = python_files(folder)
    assert files, f"{folder}/ has no Python files"
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN_IN_ADAPTERS) for p in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def service_modules() -> list[Path]:
    """Every services module: `<feature>/services.py` and the modules of a services package."""
    found = set((ROOT / "caseflow").rglob("services.py"))
    for package in (ROOT / "caseflow").rglob("services/__init__.py"):
        found.update(package.parent.glob("*.py"))
    return sorted(found)


def test_services_do_not_import_flask():
    files = service_modules()
    assert ROOT / "caseflow/evidence/services/serve.py" in files
    offenders = {}
    for path in files:
        bad = imported_roots(path) & {"flask", "flask_login", "flask_wtf"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_layering_check_notices_a_forbidden_import(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from flask import Flask\nimport caseflow.db\n")
    assert imported_roots(sample) >= {"flask", "caseflow"}


# The federation protocol: what a partner's installation must be able to reimplement from
# docs/federation.md, and what runs inside a request, a CLI command or a test without an app.
FEDERATION_PROTOCOL = ("errors", "keys", "messages", "psi", "sealing", "protocol", "transport")


def test_the_federation_protocol_imports_no_flask_or_sqlalchemy():
    files = [ROOT / "caseflow" / "federation" / f"{name}.py" for name in FEDERATION_PROTOCOL]
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            imported_roots(p) & {"flask", "flask_login", "flask_wtf", "sqlalchemy"}
        )
        for p in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
