"""TOTP window, replay-relevant step arithmetic, seeds at rest, password policy, redirects."""

from __future__ import annotations

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.auth import secrets as sec
from caseflow.web.safety import safe_next

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_795_000_000.0


@settings(max_examples=200)
@given(offset=st.integers(min_value=-5, max_value=5), within=st.floats(0, 29.9))
def test_only_the_current_and_previous_step_are_accepted(offset, within):
    now = (sec.totp_step(NOW)) * 30 + within
    code = pyotp.TOTP(SEED).at(now + offset * 30)
    step = sec.match_totp(SEED, code, now)
    if offset in (0, -1):
        assert step == sec.totp_step(now) + offset
    else:
        # A code of another step may collide by chance with the current one (1 in 10^6).
        assert (
            step is None
            or pyotp.TOTP(SEED).at(now) == code
            or pyotp.TOTP(SEED).at(now - 30) == code
        )


def test_codes_of_the_wrong_shape_are_refused():
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert sec.match_totp(SEED, code, NOW) is None


def test_seed_is_160_bits_and_encrypted_per_user():
    seed = sec.new_totp_seed()
    assert len(seed) == 32  # 32 base32 characters = 160 bits
    sealed = sec.encrypt_seed(seed, "k" * 40, user_id=1)
    assert seed not in sealed
    assert sec.decrypt_seed(sealed, "k" * 40, user_id=1) == seed
    with pytest.raises(Exception):  # noqa: B017 - bound to the user: another id fails
        sec.decrypt_seed(sealed, "k" * 40, user_id=2)
    with pytest.raises(Exception):  # noqa: B017
        sec.decrypt_seed(sealed, "other key" * 5, user_id=1)


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short pass", "at least 12"),
        ("Password123", "at least 12"),
        ("password123!", "commonly used"),
        ("aaaaaaaaaaaaaaaa", "too few different"),
        ("x" * 257, "at most 256"),
        ("my name is officer7 ok", "username"),
    ],
)
def test_password_policy_names_the_rule(password, rule):
    with pytest.raises(sec.PasswordRejected, match=rule):
        sec.check_password_policy(password, username="officer7")


def test_long_passphrases_are_accepted_and_not_truncated():
    hasher = sec.Hasher.for_profile("test")
    long = "correct horse battery staple " * 4
    sec.check_password_policy(long)
    stored = hasher.hash(long)
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, long)
    assert not hasher.verify(stored, long[:72])
    assert hasher.hash(long) != stored  # salted


def test_recovery_codes_are_unique_and_hash_ignores_case_and_dashes():
    codes = sec.new_recovery_codes()
    assert len(set(codes)) == 10
    assert sec.recovery_code_hash(codes[0].upper().replace("-", " ")) == sec.recovery_code_hash(
        codes[0]
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil",
        "https:evil",
        "javascript:alert(1)",
        "%2F%2Fevil",
        "/ok\r\nSet-Cookie: x",
        "",
        None,
    ],
)
def test_unsafe_next_targets_fall_back(target):
    assert safe_next(target, "/home") == "/home"


@given(st.text())
def test_safe_next_never_returns_an_off_site_target(target):
    result = safe_next(target, "/")
    assert result.startswith("/") and not result.startswith("//") and "\\" not in result


def test_local_paths_are_kept():
    assert safe_next("/cases/3?tab=graph") == "/cases/3?tab=graph"
