"""Errors of the federation protocol. Each names its reason code and, where one is at fault,
the message field; none carries a partner's data."""

from __future__ import annotations

from caseflow.errors import CaseFlowError


class FederationError(CaseFlowError):
    """Base of federation errors; `reason` is a stable code for logs, audit and the API."""

    code = "federation"
    status = 400

    def __init__(self, reason: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reason = reason


# HTTP status per message-level reason (what /federation/v1 answers).
_MESSAGE_STATUS = {
    "unknown_sender": 403,
    "bad_signature": 403,
    "partner_suspended": 403,
    "wrong_sender": 403,
    "unknown_run": 404,
    "replayed": 409,
    "out_of_order": 409,
    "run_closed": 409,
}


class MessageRefused(FederationError):
    """A message that is not processed at all: malformed, forged, replayed, out of order or
    stale. Nothing about the run changes."""

    code = "message_refused"

    def __init__(self, reason: str, message: str, *, field: str | None = None) -> None:
        super().__init__(reason, f"Message refused ({reason}): {message}", field=field)
        self.status = _MESSAGE_STATUS.get(reason, 400)


class RunRefused(FederationError):
    """An authentic message that ends its run: a limit is exceeded, or the partner's PSI data
    fails a check. `reply` is the signed refusal to send back (None when the partner refused)."""

    code = "run_refused"
    status = 422

    def __init__(
        self, reason: str, message: str, *, field: str | None = None, reply: bytes | None = None
    ) -> None:
        super().__init__(reason, f"Run refused ({reason}): {message}", field=field)
        self.reply = reply
        if reason == "runs_per_day":
            self.status = 429
