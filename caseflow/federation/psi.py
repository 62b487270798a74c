"""ECDH private set intersection with openmined-psi, and the checks on what a partner sends.

The library trusts its inputs: a malformed setup can make it read past a buffer, an all-ones
filter or a tiny hash range makes every element "match", and a response of the wrong length
passes silently. Every message from a partner is therefore checked here before it reaches the
library, and the false-positive bound of the setup actually received is computed and held to
MAX_FALSE_POSITIVE. Must not import flask.

Setup structures: a Golomb-compressed set (GCS) when its hash range fits the library's int64
field at the target rate; otherwise the raw sorted list of encrypted elements (exact, larger).
Bloom filters are never used: the library's double hashing (h1 + i*h2 mod m) collapses to a
few bit positions when h2 shares a factor with m, which puts the real per-run false-positive
rate near 1e-2 at 100,000 elements, far above the target (docs/federation.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import private_set_intersection.python as _psi

# A run may report a selector the partner does not hold with probability at most this.
MAX_FALSE_POSITIVE = Fraction(1, 10**9)
# The GCS is built at half the target so that the bound the client recomputes from the bits
# it receives (which slightly over-counts elements) still meets the target.
_BUILD_FPR = MAX_FALSE_POSITIVE / 2
# The library stores the GCS hash range in an int64 and computes it in a double: stay clear.
_GCS_MAX_RANGE = 2**62
POINT_BYTES = 33  # compressed P-256 point
_BIT_STRINGS = tuple(format(byte, "08b")[::-1] for byte in range(256))


class PsiDataError(ValueError):
    """A partner's PSI data fails a check; the message says which, in plain words."""


@dataclass(frozen=True)
class Setup:
    """What a client learns about a received setup before using it."""

    structure: str  # "gcs" or "raw"
    elements: int
    false_positive_bound: Fraction


def create_request(elements: Sequence[str], key: bytes | None = None) -> tuple[bytes, bytes]:
    """Blind our elements as the PSI client. Returns (client key, serialized request); a new
    key unless `key` is given (the key must stay secret and be used for one run only)."""
    client = _psi.client.CreateFromKey(key, True) if key else _psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(list(elements))
    return client.GetPrivateKeyBytes(), request.SerializeToString()


def check_request(data: bytes, *, count: int) -> _psi.Request:
    """Parse a partner's request and check it holds `count` well-formed blinded elements."""
    request = _psi.Request()
    try:
        request.ParseFromString(data)
    except Exception:  # protobuf raises DecodeError or RuntimeError depending on backend
        raise PsiDataError("the request is not a PSI request") from None
    if not request.reveal_intersection:
        raise PsiDataError("the request must ask for the intersection itself")
    _check_points(request.encrypted_elements, count, "request")
    return request


def _check_points(points: Sequence[bytes], count: int, what: str) -> None:
    if len(points) != count:
        raise PsiDataError(f"the {what} holds {len(points)} elements, the header says {count}")
    for point in points:
        if len(point) != POINT_BYTES or point[0] not in (2, 3):
            raise PsiDataError(f"the {what} holds an element that is not a P-256 point")


def uses_gcs(client_count: int, server_count: int) -> bool:
    """Whether a GCS can carry this run at the target rate within the library's int64 range."""
    needed = max(client_count, server_count, 1) * max(client_count, 1) / _BUILD_FPR
    return needed < _GCS_MAX_RANGE


def answer_request(
    elements: Sequence[str], request_data: bytes, *, client_count: int
) -> tuple[bytes, bytes]:
    """Act as the PSI server for one direction with a fresh key: our setup (built for the
    partner's `client_count`) and our response to its checked request."""
    request = check_request(request_data, count=client_count)
    server = _psi.server.CreateWithNewKey(True)
    structure = (
        _psi.DataStructure.GCS if uses_gcs(client_count, len(elements)) else _psi.DataStructure.RAW
    )
    setup = server.CreateSetupMessage(
        float(_BUILD_FPR), max(client_count, 1), list(elements), structure
    )
    try:
        response = server.ProcessRequest(request)
    except RuntimeError:
        raise PsiDataError("the request holds an element that is not a P-256 point") from None
    return setup.SerializeToString(), response.SerializeToString()


def check_setup(
    data: bytes, *, client_count: int, server_count: int
) -> tuple[_psi.ServerSetup, Setup]:
    """Parse a partner's setup, check its structure and compute its false-positive bound.

    Refuses Bloom filters and anything whose bound exceeds MAX_FALSE_POSITIVE for our
    `client_count` elements, or that holds more elements than the partner's declared
    `server_count` (which its limits were checked against).
    """
    setup = _psi.ServerSetup()
    try:
        setup.ParseFromString(data)
    except Exception:  # protobuf raises DecodeError or RuntimeError depending on backend
        raise PsiDataError("the setup is not a PSI setup") from None
    which = setup.WhichOneof("data_structure")
    if which == "gcs":
        # A value takes at most 64 bits plus its unary part, which averages under two bits:
        # anything much longer is not a set of `server_count` values.
        if len(setup.gcs.bits) > 9 * server_count + 64:
            raise PsiDataError("the GCS is larger than a set of the declared size")
        count = gcs_element_count(setup.gcs.bits, setup.gcs.div, setup.gcs.hash_range)
        bound = Fraction(client_count * count, setup.gcs.hash_range)
    elif which == "raw":
        points = list(setup.raw.encrypted_elements)
        _check_points(points, server_count, "setup")
        if any(a >= b for a, b in itertools.pairwise(points)):
            raise PsiDataError("the raw setup is not sorted without repeats")
        count, bound = len(points), Fraction(0)
    else:
        raise PsiDataError(
            f"the setup uses {which or 'no'} structure; only gcs and raw are allowed"
        )
    if count > server_count:
        raise PsiDataError(f"the setup holds {count} elements, the header says {server_count}")
    if bound > MAX_FALSE_POSITIVE:
        raise PsiDataError(
            f"the setup's false-positive bound {float(bound):.2e} exceeds "
            f"{float(MAX_FALSE_POSITIVE):.0e}"
        )
    return setup, Setup(which, count, bound)


def gcs_element_count(bits: bytes, div: int, hash_range: int) -> int:
    """Decode a Golomb-compressed set as the library does and count its values, refusing any
    stream the library would read past its end, repeats, and values outside the range."""
    if not 0 <= div <= 62:
        raise PsiDataError("the GCS divisor is out of range")
    if not 1 <= hash_range < 2**63:
        raise PsiDataError("the GCS hash range is out of range")
    stream = "".join(map(_BIT_STRINGS.__getitem__, bits))  # least significant bit first
    end, position, value, count = len(stream), 0, 0, 0
    while (one := stream.find("1", position)) >= 0:
        quotient = one - position
        position = one + 1 + div
        if position > end:
            raise PsiDataError("the GCS stream ends inside a value")
        remainder = int(stream[one + 1 : position][::-1], 2) if div else 0
        delta = (quotient << div) | remainder
        if count and delta == 0:
            raise PsiDataError("the GCS holds a repeated value")
        value += delta
        count += 1
    if count and value >= hash_range:
        raise PsiDataError("the GCS holds a value outside its hash range")
    return count


def intersect(
    key: bytes,
    elements: Sequence[str],
    setup_data: bytes,
    response_data: bytes,
    *,
    server_count: int,
) -> tuple[list[int], Setup]:
    """Finish our direction as the PSI client: the indices of our `elements` (in the order of
    our request) that the partner's checked setup holds."""
    setup, info = check_setup(setup_data, client_count=len(elements), server_count=server_count)
    response = _psi.Response()
    try:
        response.ParseFromString(response_data)
    except Exception:  # protobuf raises DecodeError or RuntimeError depending on backend
        raise PsiDataError("the response is not a PSI response") from None
    _check_points(response.encrypted_elements, len(elements), "response")
    client = _psi.client.CreateFromKey(key, True)
    try:
        indices = client.GetIntersection(setup, response)
    except RuntimeError:
        raise PsiDataError("the response holds an element that is not a P-256 point") from None
    return sorted(indices), info
