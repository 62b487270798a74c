"""Run the app in a real HTTP server for subprocess tests and benchmarks.

Usage: python -m tests.serve_app CONFIG_JSON PORT. The config maps create_app keys to values.
"""

from __future__ import annotations

import json
import sys

from werkzeug.serving import run_simple

from caseflow import create_app


def main() -> None:
    config = json.loads(sys.argv[1])
    app = create_app(config)
    run_simple("127.0.0.1", int(sys.argv[2]), app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
