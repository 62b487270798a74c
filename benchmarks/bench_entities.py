"""Time normalization per kind and ad-text extraction (PYTHONPATH=. python benchmarks/...)."""

from __future__ import annotations

import timeit

from caseflow.entities.extract import extract_identifiers
from caseflow.entities.normalize import normalize

SAMPLES = [
    ("phone", "07700 900123"),
    ("email", "Jane@Example.com"),
    ("url", "https://www.example.com/a?b=c"),
    ("wallet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    ("wallet", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    ("bank_account", "GB82WEST12345698765432"),
    ("ip_address", "203.0.113.7:443"),
]
AD = (
    "Call 07700 900123 or +44 7700 900456, telegram: rose_tg, mail rose [at] example [dot] com,"
    " https://www.example.com/ad/1 pay 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed @rose "
) * 5


def main() -> None:
    for kind, raw in SAMPLES:
        n = 2000
        seconds = timeit.timeit(
            lambda k=kind, r=raw: normalize(k, r, default_region="GB"), number=n
        )
        print(f"normalize {kind:<13} {seconds / n * 1e6:7.0f} us")
    n = 50
    seconds = timeit.timeit(lambda: extract_identifiers(AD, "GB"), number=n)
    print(f"extract {len(AD)}-char ad  {seconds / n * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
