"""Ad intake: precision, recall and F1 per kind on the labelled synthetic ad corpus, side by
side with the stock phonenumbers matcher, and throughput in ads of 500 characters per
second on one core (PYTHONPATH=. python benchmarks/extraction.py; --profile adds the
functions that cost most in one cold pass, from cProfile).

The corpus (tests/fixtures/ads/) has three parts: "tune" (generated, the templates the
extractor was developed against), "heldout" (generated from other templates and seed,
not used for tuning) and "hard" (hand-written cases). Figures are printed for each.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

import phonenumbers

from caseflow.entities import gazetteer, normalize
from caseflow.entities.extract import extract_identifiers
from tests.fixtures.ads import scoring

KINDS = ("phone", "account", "email", "url", "wallet", "bank_account")


def line(name: str, counts: scoring.Counts) -> str:
    return (
        f"  {name:<14} P {counts.precision:5.3f}  R {counts.recall:5.3f}  F1 {counts.f1:5.3f}"
        f"   (tp {counts.tp}, fp {counts.fp}, fn {counts.fn})"
    )


def report(title: str, records: list[dict]) -> None:
    ours = scoring.score(records, scoring.caseflow_offered)
    certain = scoring.score(records, scoring.caseflow_certain)
    stock = scoring.score(records, scoring.matcher_only)
    print(f"\n{title}: {len(records)} ads, {ours.overall.tp + ours.overall.fn} identifiers")
    print(" CaseFlow intake (offered: certain + 'check')")
    for kind in KINDS:
        if kind in ours.kinds:
            print(line(kind, ours.kinds[kind]))
    print(line("overall", ours.overall))
    print(
        f"  {'obfuscated':<14} R {ours.obfuscated.recall:5.3f}   "
        f"(found {ours.obfuscated.tp} of {ours.obfuscated.tp + ours.obfuscated.fn})"
    )
    print(line("certain only", certain.overall))
    print(" phonenumbers.PhoneNumberMatcher alone (POSSIBLE leniency)")
    print(line("phone", stock.kinds.get("phone", scoring.Counts())))
    print(line("overall", stock.overall))
    print(f"  {'obfuscated':<14} R {stock.obfuscated.recall:5.3f}")


def ads_of_500(records: list[dict], count: int) -> list[tuple[str, str]]:
    texts = [(r["text"], r["region"]) for r in records]
    out, i = [], 0
    while len(out) < count:
        text, region = texts[i % len(texts)]
        while len(text) < 500:
            i += 1
            text += " " + texts[i % len(texts)][0]
        out.append((text[:500], region))
        i += 1
    return out


def throughput(records: list[dict]) -> None:
    ads = ads_of_500(records, 1000)
    gazetteer.warm()
    extract_identifiers(ads[0][0], ads[0][1])
    normalize._phone.cache_clear()  # the first pass reads every number afresh

    def rate(function) -> float:
        start = time.process_time()
        for text, region in ads:
            function(text, region)
        return len(ads) / (time.process_time() - start)

    cold = rate(lambda text, region: extract_identifiers(text, region))
    warm = rate(lambda text, region: extract_identifiers(text, region))
    stock = rate(
        lambda text, region: list(
            phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
        )
    )
    print("\nthroughput, 1,000 ads of 500 characters, one core (CPU time)")
    print(
        f"  CaseFlow intake, phone cache cold  {cold:7.0f} ads/s   ({cold / stock:4.1f}x matcher)"
    )
    print(
        f"  CaseFlow intake, phone cache warm  {warm:7.0f} ads/s   ({warm / stock:4.1f}x matcher)"
    )
    print(f"  phonenumbers matcher alone         {stock:7.0f} ads/s   (baseline)")
    print(f"  goal 1,000 ads/s: {'met' if cold >= 1000 else 'NOT met'} (cold)")


def profile(records: list[dict], top: int = 15) -> None:
    """Where one cold pass over the 1,000 ads spends its time (cProfile, own time)."""
    ads = ads_of_500(records, 1000)
    gazetteer.warm()
    normalize._phone.cache_clear()
    profiler = cProfile.Profile()
    profiler.enable()
    for text, region in ads:
        extract_identifiers(text, region)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])  # type: ignore[attr-defined]
    print(f"\nprofile, one cold pass (cProfile, own time, top {top})")
    for (filename, lineno, name), (_, calls, own, _cumulative, _) in rows[:top]:
        where = filename.rsplit("/", 1)[-1]
        print(f"  {own / total:5.1%}  {calls:8d} calls  {where}:{lineno} {name}")


def main() -> None:
    records = scoring.load()
    for split in ("tune", "heldout", "hard"):
        report(split, [r for r in records if r["split"] == split])
    report("all", records)
    throughput(records)
    if "--profile" in sys.argv[1:]:
        profile(records)


if __name__ == "__main__":
    main()
