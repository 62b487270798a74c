"""The one error raised for a bad identifier, shared by normalizers and jurisdiction look-ups."""

from __future__ import annotations


class InvalidIdentifier(ValueError):
    """A value that fails a normalization rule.

    `field` names the input at fault (`"phone"`, `"wallet.address"`, `"ip_address.port"`) and
    `rule` says, in words an investigator understands, which rule it broke. The message is
    `"<field>: <rule>"`, e.g. `"phone: not a valid number for region GB"`.
    """

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule
