"""RFC 9162 MTH, PATH and PROOF written recursively, straight from the RFC: a test oracle."""

from exports.verify import EMPTY_ROOT, largest_power_of_two_below, node_hash


def ref_root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 §2.1.1)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = largest_power_of_two_below(len(leaves))
    return node_hash(ref_root(leaves[:k]), ref_root(leaves[k:]))


def ref_inclusion(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1)."""
    if len(leaves) == 1:
        return []
    k = largest_power_of_two_below(len(leaves))
    if index < k:
        return [*ref_inclusion(index, leaves[:k]), ref_root(leaves[k:])]
    return [*ref_inclusion(index - k, leaves[k:]), ref_root(leaves[:k])]


def ref_consistency(size1: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1); empty for m == 0 or m == n."""
    if size1 == 0:
        return []
    return _subproof(size1, leaves, True)


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [ref_root(leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), ref_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), ref_root(leaves[:k])]
