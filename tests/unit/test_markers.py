"""The suite's marks select what they say: `-m browser` is the Chromium tests, `-m "not
browser"` everything else (a `pytestmark` in a conftest would be silently ignored)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A browser module and a plain one: enough to see the selection work, quick to collect.
SAMPLE = ["tests/browser/test_first_login.py", "tests/unit/test_markers.py"]


def collected(mark: str) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            mark,
            *SAMPLE,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 5), result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_the_browser_mark_selects_the_browser_tests_and_only_them():
    chosen = collected("browser")
    assert chosen, "-m browser selected no test"
    assert all(test.startswith("tests/browser/") for test in chosen)


def test_not_browser_selects_everything_else():
    chosen = collected("not browser")
    assert chosen
    assert not any(test.startswith("tests/browser/") for test in chosen)
    assert any(test.startswith("tests/unit/test_markers.py") for test in chosen)
