"""What may be matched with a partner, the abuse limits, and the installation key."""

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from caseflow.entities.normalize import KINDS
from caseflow.errors import ValidationError
from caseflow.federation.keys import (
    KEY_FILE,
    fingerprint,
    key_id,
    load_or_create_key,
    parse_public_key,
)
from caseflow.policy import (
    FEDERATION_KINDS,
    FederationLimits,
    federation_run_refusal,
    may_share_selector,
)


def test_federation_kinds_are_identifiers_never_people_or_directory_entries():
    assert set(KINDS) >= FEDERATION_KINDS
    assert FEDERATION_KINDS.isdisjoint(
        {"person", "organization", "jurisdiction", "service_provider"}
    )
    assert {"phone", "email", "account", "wallet", "bank_account", "ad"} <= FEDERATION_KINDS


SHAREABLE = {
    "victim_anywhere": False,
    "restricted": False,
    "sharing_forbidden": False,
    "held_by_shareable_case": True,
}


def test_a_plain_selector_of_a_federation_kind_may_be_shared():
    assert may_share_selector("phone", **SHAREABLE)


@pytest.mark.parametrize(
    "fact",
    [
        {"victim_anywhere": True},
        {"restricted": True},
        {"sharing_forbidden": True},
        {"held_by_shareable_case": False},
    ],
)
def test_victims_restricted_forbidden_and_opted_out_selectors_never_leave(fact):
    assert not may_share_selector("phone", **{**SHAREABLE, **fact})


@pytest.mark.parametrize("kind", ["person", "organization", "ip_address", "jurisdiction", "x"])
def test_other_kinds_never_leave(kind):
    assert not may_share_selector(kind, **SHAREABLE)


def test_growth_is_the_larger_of_the_percentage_and_the_allowance_capped_by_the_maximum():
    limits = FederationLimits(growth_percent=50, growth_allowance=1_000, max_set_size=500_000)
    assert limits.max_next_size(None) == 500_000
    assert limits.max_next_size(100) == 1_100
    assert limits.max_next_size(10_000) == 15_000
    assert limits.max_next_size(400_000) == 500_000


def test_run_refusals_name_the_rule_broken():
    limits = FederationLimits(
        min_set_size=100, max_set_size=1_000, runs_per_day=2, growth_allowance=100
    )
    ok = {"previous_size": None, "runs_last_day": 0}
    assert federation_run_refusal(limits, set_size=100, **ok) is None
    assert federation_run_refusal(limits, set_size=99, **ok)[0] == "too_few_selectors"
    assert federation_run_refusal(limits, set_size=1_001, **ok)[0] == "too_many_selectors"
    assert (
        federation_run_refusal(limits, set_size=500, previous_size=None, runs_last_day=2)[0]
        == "runs_per_day"
    )
    code, message = federation_run_refusal(limits, set_size=900, previous_size=100, runs_last_day=1)
    assert code == "growth_limit" and message.endswith("the next run allows at most 200")


@pytest.mark.parametrize(
    "bad", [{"min_set_size": 0}, {"min_set_size": 10, "max_set_size": 5}, {"runs_per_day": 0}]
)
def test_nonsensical_limits_are_refused(bad):
    with pytest.raises(ValueError, match="federation limits"):
        FederationLimits(**bad)


def test_the_federation_key_is_created_once_private_and_reloaded(tmp_path):
    key = load_or_create_key(tmp_path / "instance")
    path = tmp_path / "instance" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_key(tmp_path / "instance")
    assert again.public_key == key.public_key
    assert key.key_id == key_id(key.public_key) and len(key.key_id) == 64
    assert key.fingerprint == fingerprint(key.public_key)
    assert len(key.fingerprint.split(":")) == 16


def test_a_partner_key_is_read_from_pem_base64_or_hex(tmp_path):
    key = load_or_create_key(tmp_path)
    raw = key.public_key
    assert parse_public_key(key.public_pem()) == raw
    assert parse_public_key(base64.b64encode(raw).decode()) == raw
    assert parse_public_key(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert parse_public_key(raw.hex()) == raw


def test_a_key_that_is_not_ed25519_is_refused_naming_the_field():
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for bad in (rsa_pem, "hello", base64.b64encode(b"x" * 31).decode(), "-----BEGIN junk"):
        with pytest.raises(ValidationError) as caught:
            parse_public_key(bad)
        assert caught.value.field == "public_key"
        assert caught.value.message.startswith("Public key:")


def test_the_synthetic_selectors_of_tests_and_benchmark_are_canonical():
    from caseflow.entities.normalize import normalize
    from tests.unit.federation_factory import synthetic_selector

    for i in [*range(0, 150_000, 997), *range(149_980, 150_000)]:
        selector = synthetic_selector(i)
        assert normalize(selector.kind, selector.value).value == selector.value, selector
