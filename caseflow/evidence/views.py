"""Evidence pages: case panel, item page with custody timeline, uploads, downloads, audit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evidence", __name__)
