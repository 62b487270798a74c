"""TRON and Monero wallets are checked, chain aliases are one chain, and messaging handles
written as phone numbers are one account in E.164."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.entities import _monero
from caseflow.entities.normalize import InvalidIdentifier, normalize


def tron_address(payload: bytes) -> str:
    return base58.b58encode_check(b"\x41" + payload).decode("ascii")


def flip_last(address: str) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    last = address[-1]
    return address[:-1] + alphabet[(alphabet.index(last) + 1) % len(alphabet)]


TRON = tron_address(bytes(range(20)))
MONERO = _monero.encode_address(18, bytes(range(64)))
MONERO_SUB = _monero.encode_address(42, bytes(range(64, 128)))
MONERO_INTEGRATED = _monero.encode_address(19, bytes(range(72)))


def test_tron_address_with_a_broken_checksum_is_refused():
    broken = flip_last(TRON)
    with pytest.raises(InvalidIdentifier) as info:
        normalize("wallet", f"trx:{broken}")
    assert str(info.value) == "wallet.address: TRON address checksum does not match (base58)"


def test_trx_and_tron_prefixes_make_one_entity():
    assert TRON.startswith("T") and len(TRON) == 34
    values = {
        normalize("wallet", f"trx:{TRON}").value,
        normalize("wallet", f"tron:{TRON}").value,
        normalize("wallet", {"chain": "TRON", "address": TRON}).value,
        normalize("wallet", TRON).value,  # a bare T... address is recognised
    }
    assert values == {f"trx:{TRON}"}


def test_tron_version_byte_is_checked():
    other = base58.b58encode_check(b"\x42" + bytes(20)).decode("ascii")
    with pytest.raises(InvalidIdentifier, match=r"version byte 0x41|T and 33"):
        normalize("wallet", f"trx:{other}")


@given(payload=st.binary(min_size=20, max_size=20))
def test_generated_tron_addresses_round_trip(payload):
    address = tron_address(payload)
    result = normalize("wallet", f"tron:{address}")
    assert result.value == f"trx:{address}"
    assert normalize("wallet", result.value) == result


def test_monero_published_vector_decodes():
    # Decoding vector of Monero's block base58 (MoneroPy test data).
    address = (
        "4495qPNxDGAT241zya1WdwG5YU6RQ6s7ZgGeQryFtooAMMxoqx2N2oNTjP5NTqDf9GMaZ52iS2Q6xhnWyW16"
        "cdi47MCsVRg"
    )
    assert _monero.b58decode(address).hex().startswith("12426a2b555065c79b8d")
    assert _monero.decode_address(address) == ("mainnet", "standard")


def test_monero_standard_subaddress_and_integrated_are_checked():
    assert normalize("wallet", f"xmr:{MONERO}").attributes == {
        "chain": "xmr",
        "network": "mainnet",
        "type": "standard",
    }
    assert normalize("wallet", f"monero:{MONERO_SUB}").value == f"xmr:{MONERO_SUB}"
    assert normalize("wallet", MONERO_INTEGRATED).attributes["type"] == "integrated"
    assert len(MONERO) == 95 and len(MONERO_INTEGRATED) == 106
    with pytest.raises(InvalidIdentifier) as info:
        normalize("wallet", f"xmr:{flip_last(MONERO)}")
    assert str(info.value) == "wallet.address: Monero address checksum does not match (Keccak-256)"
    with pytest.raises(InvalidIdentifier, match="95"):
        normalize("wallet", f"xmr:{MONERO[:-1]}")


@given(keys=st.binary(min_size=64, max_size=64), tag=st.sampled_from([18, 42, 53, 63, 24, 36]))
def test_generated_monero_addresses_round_trip(keys, tag):
    address = _monero.encode_address(tag, keys)
    assert normalize("wallet", f"xmr:{address}").value == f"xmr:{address}"


def test_signal_numbers_in_any_spelling_are_one_account():
    spellings = ["signal:+447700900123", "signal:07700900123", "signal:+44 7700 900123"]
    values = {normalize("account", s, default_region="GB").value for s in spellings}
    assert values == {"signal:+447700900123"}
    assert normalize("account", "signal:+44 (0)7700-900123").value == "signal:+447700900123"


def test_signal_usernames_and_telegram_numbers():
    assert normalize("account", "signal:Rose_Petal.07").value == "signal:rose_petal.07"
    assert normalize("account", "telegram:+44 7700 900123").value == "telegram:+447700900123"
    assert normalize("account", "telegram:Rose_99").value == "telegram:rose_99"
    assert normalize("account", "viber:07700 900123", default_region="GB").value == (
        "viber:+447700900123"
    )
    with pytest.raises(InvalidIdentifier, match=r"^account\.handle: Viber needs a phone number"):
        normalize("account", "viber:rosie")
