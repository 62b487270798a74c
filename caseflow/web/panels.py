"""Registries of page panels that feature packages contribute to the case page and dashboard.

A feature registers a panel once at import (in its views module): a title, an anchor, the
template to include and a loader that receives (session, actor, case) or (session, actor,
today) and returns the template's context. The case view loads every panel the same way, so
a new feature adds a section without touching the cases package (CTFd's registry idea).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    load: Callable[..., dict[str, Any]]
    order: int = 50


CASE_PANELS: dict[str, Panel] = {}
DASHBOARD_PANELS: dict[str, Panel] = {}


def case_panel(key: str, title: str, template: str, *, order: int = 50):
    """Decorator registering `load(session, actor, case) -> context` as a case-page section."""

    def register(load: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        CASE_PANELS[key] = Panel(key, title, template, load, order)
        return load

    return register


def dashboard_panel(key: str, title: str, template: str, *, order: int = 50):
    """Decorator registering `load(session, actor, today) -> context` as a dashboard section."""

    def register(load: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        DASHBOARD_PANELS[key] = Panel(key, title, template, load, order)
        return load

    return register


def render_list(registry: dict[str, Panel], *args: Any) -> list[tuple[Panel, dict[str, Any]]]:
    return [(p, p.load(*args)) for p in sorted(registry.values(), key=lambda p: p.order)]
