"""Every package CaseFlow imports is declared in pyproject.toml and locked with its hash.

The application (caseflow/, graph/, exports/) may import only the standard library, itself
and the runtime dependencies; tests and benchmarks may also use the dev extra. The lock files
pin every declared requirement at a version its range allows, each with a hash, and the
environment the suite runs in was installed from them.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"caseflow", "graph", "exports", "tests", "benchmarks"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PYPROJECT["dependencies"]]
DEV = [Requirement(r) for r in PYPROJECT["optional-dependencies"]["dev"]]


def imported_modules(*folders: str) -> dict[str, str]:
    """Top-level modules imported anywhere under the folders -> one file importing each."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def undeclared(folders: tuple[str, ...], declared: list[Requirement]) -> list[str]:
    names = {canonicalize_name(r.name) for r in declared}
    providers = md.packages_distributions()
    problems = []
    for module, where in sorted(imported_modules(*folders).items()):
        if module in sys.stdlib_module_names or module in FIRST_PARTY:
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists:
            problems.append(f"{module} (imported in {where}) is not installed")
        elif not dists & names:
            problems.append(f"{module} (imported in {where}) comes from {sorted(dists)}")
    return problems


def test_the_application_imports_only_declared_runtime_dependencies():
    assert undeclared(("caseflow", "graph", "exports"), RUNTIME) == []


def test_tests_and_benchmarks_import_only_declared_dependencies():
    assert undeclared(("tests", "benchmarks"), RUNTIME + DEV) == []


def test_the_walk_sees_direct_imports_of_transitive_packages():
    # werkzeug, asn1crypto and pyhanko_certvalidator arrive with flask and pyhanko, yet
    # CaseFlow imports them itself: they must be declared in their own right.
    seen = imported_modules("caseflow", "graph", "exports")
    assert {"werkzeug", "asn1crypto", "pyhanko_certvalidator"} <= set(seen)
    without = [r for r in RUNTIME if canonicalize_name(r.name) != "werkzeug"]
    assert any(p.startswith("werkzeug ") for p in undeclared(("caseflow",), without))


def read_lock(name: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a `make lock` file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = (match[3], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + DEV)],
)
def test_each_declared_requirement_is_locked_within_its_range_with_hashes(lock, requirements):
    pins = read_lock(lock)
    assert pins, f"{lock} is empty"
    assert all(hashes for _, hashes in pins.values()), f"{lock}: a pin without --hash"
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is declared but not in {lock}: run `make lock`"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside {requirement}: run `make lock`"
        )


def test_the_dev_lock_agrees_with_the_runtime_lock():
    runtime, dev = read_lock("requirements.lock"), read_lock("requirements-dev.lock")
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime}


def test_every_installed_package_came_from_the_lock():
    pins = read_lock("requirements-dev.lock")
    stray = []
    for dist in md.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name == "caseflow":
            continue
        if name not in pins or pins[name][0] != dist.version:
            stray.append(f"{name}=={dist.version}")
    assert stray == [], "installed but not locked (run `make dev-deps` or `make lock`)"
