"""Domain errors raised by services; views and the API map them to messages and statuses."""

from __future__ import annotations


class CaseFlowError(Exception):
    """Base of every domain error. `field` names the input at fault, where there is one."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(CaseFlowError):
    code = "invalid"
    status = 400


class NotFoundError(CaseFlowError):
    code = "not_found"
    status = 404


class PermissionDenied(CaseFlowError):
    code = "forbidden"
    status = 403


class ConflictError(CaseFlowError):
    code = "conflict"
    status = 409


class AuthenticationError(CaseFlowError):
    code = "unauthenticated"
    status = 401


class StorageUnavailable(CaseFlowError):
    """The evidence store (or the disk under the database) could not take the write: full,
    read-only, no permission, I/O error. Nothing was stored; an operator alarm was raised."""

    code = "storage_unavailable"
    status = 507
