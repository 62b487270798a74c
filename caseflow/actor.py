"""Who is acting: a small frozen value passed to every service. Must not import flask."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The acting user (or the system) and where the request came from.

    Services decide with this, never with request globals, so the web pages, the API and the
    CLI share one set of rules.
    """

    user_id: int | None
    username: str
    role: str
    ip: str | None = None
    request_id: str | None = None
    # Supervisors' stated purposes for opening cases they are not members of: (case id, why).
    purposes: tuple[tuple[int, str], ...] = ()

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, username=name, role="system")

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def purpose_for(self, case_id: int) -> str | None:
        return next((why for cid, why in self.purposes if cid == case_id), None)
