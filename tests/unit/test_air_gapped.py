"""CaseFlow works air-gapped: no page or asset refers to an external host."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
# Text that names a host without loading anything from it (licence texts, comments in
# vendored minified files, XML namespaces) is not a reference a browser would follow.
LOADERS = re.compile(r"""(?:src|href|action|url\()\s*=?\s*["']?\s*(?:https?:)?//""", re.I)


def served_files():
    for folder in ("caseflow/templates", "caseflow/static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".css", ".js", ".svg"}:
                yield path


def test_templates_and_static_files_load_nothing_from_other_hosts():
    offenders = []
    for path in served_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in LOADERS.finditer(text):
            offenders.append(f"{path.relative_to(ROOT)}: {text[match.start() : match.end() + 40]}")
    assert offenders == []


def test_templates_name_no_external_url_at_all():
    offenders = []
    for path in (ROOT / "caseflow/templates").rglob("*.html"):
        for match in URL.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_the_check_notices_an_external_script(tmp_path):
    sample = '<script src="https://cdn.example.com/x.js"></script>'
    assert LOADERS.search(sample)
