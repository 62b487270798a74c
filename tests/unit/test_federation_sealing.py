"""The sealed match report: opens only with the run's key, and its size and form are bounded."""

import pytest

from caseflow.federation import sealing

RUN = "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f"
SENDER = "ab" * 32


def run_secret():
    a_private, a_public = sealing.new_exchange_key()
    b_private, b_public = sealing.new_exchange_key()
    secret = sealing.shared_secret(a_private, b_public, RUN)
    assert secret == sealing.shared_secret(b_private, a_public, RUN)
    return secret


def test_a_report_opens_with_the_run_secret_only():
    secret = run_secret()
    key = sealing.label_key(secret, RUN, "phone:+447700900123")
    content = sealing.Sealed(3, {key: ("CF-2026-0001",)})
    data = sealing.seal(secret, RUN, SENDER, 4, content)
    assert sealing.open_sealed(secret, RUN, SENDER, 4, data) == content
    assert b"CF-2026-0001" not in data and key.encode() not in data
    for args in (
        (run_secret(), RUN, SENDER, 4),  # another run's secret
        (secret, RUN, SENDER, 5),  # moved to another step
        (secret, RUN, "cd" * 32, 4),  # claimed by the other side
    ):
        with pytest.raises(sealing.SealError, match="does not open"):
            sealing.open_sealed(*args, data)


def test_label_keys_agree_on_both_sides_and_differ_per_run():
    secret = run_secret()
    key = sealing.label_key(secret, RUN, "email:contact1@example.org")
    assert key == sealing.label_key(secret, RUN, "email:contact1@example.org")
    assert key != sealing.label_key(run_secret(), RUN, "email:contact1@example.org")


@pytest.mark.parametrize(
    ("matched", "labels", "message"),
    [
        (1, 2, "at most"),
        (30_000, sealing.MAX_LABELS + 1, "at most"),
    ],
)
def test_more_labels_than_matches_or_than_the_cap_are_refused(matched, labels, message):
    secret = run_secret()
    refs = {f"{i:032x}": ("CF-2026-0001",) for i in range(labels)}
    data = sealing.seal(secret, RUN, SENDER, 4, sealing.Sealed(matched, refs))
    with pytest.raises(sealing.SealError, match=message):
        sealing.open_sealed(secret, RUN, SENDER, 4, data)


@pytest.mark.parametrize(
    "refs",
    [(), ("CF\n2026",), ("x" * 41,), tuple(f"CF-2026-{i:04d}" for i in range(6)), (" lead",)],
)
def test_references_out_of_form_are_refused(refs):
    secret = run_secret()
    data = sealing.seal(secret, RUN, SENDER, 4, sealing.Sealed(1, {"ab" * 16: refs}))
    with pytest.raises(sealing.SealError, match="case references"):
        sealing.open_sealed(secret, RUN, SENDER, 4, data)


def test_our_references_are_cleaned_before_they_travel():
    refs = [
        "CF-2026-0009",
        "CF-2026-0001",
        "bad\nref",
        "CF-2026-0001",
        *[f"CF-2025-{i:04d}" for i in range(9)],
    ]
    assert sealing.clean_references(refs) == (
        "CF-2025-0000",
        "CF-2025-0001",
        "CF-2025-0002",
        "CF-2025-0003",
        "CF-2025-0004",
    )
