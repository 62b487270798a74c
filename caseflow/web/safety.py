"""Small request-safety helpers shared by views. Must not hold business rules."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` only if it is a path on this site, else `default`.

    Refuses absolute URLs, scheme-relative `//host`, backslash tricks that browsers read as
    `//`, and control characters.
    """
    if not target:
        return default
    if any(ord(c) < 32 or c == "\\" for c in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
