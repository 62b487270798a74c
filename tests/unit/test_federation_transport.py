"""Both transports carry the same signed messages: files carried by hand, and HTTPS with a
partner token and mutual TLS, here on loopback against a real TLS server."""

import datetime as dt
import ipaddress
import json
import ssl
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caseflow.errors import ValidationError
from caseflow.federation.errors import MessageRefused, RunRefused
from caseflow.federation.messages import parse_message
from caseflow.federation.transport import (
    MEDIA_TYPE,
    Exchange,
    HttpPeer,
    PartnerError,
    check_endpoint,
    client_tls_context,
    drive_run,
    export_bundle,
    read_bundle,
)
from caseflow.policy import FederationLimits
from tests.helpers import FakeClock
from tests.unit.federation_factory import make_pair, selectors

A_ONLY, SHARED, B_ONLY = range(0, 40), range(40, 70), range(70, 130)


# --- files --------------------------------------------------------------------------------------


def test_a_whole_run_by_file_bundles_carried_between_two_folders(tmp_path):
    clock = FakeClock()
    a, b = make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]), clock=clock)
    to_b, to_a = tmp_path / "a-to-b", tmp_path / "b-to-a"
    to_b.mkdir()
    to_a.mkdir()
    opened = a.engine.start(b.key.key_id, a.holdings, transport="file")
    path = export_bundle(opened.reply, to_b)
    assert path.name == f"caseflow-{opened.run.run_id}-1-open.cff"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    receivers = [(b, to_a), (a, to_b)]  # who reads the bundle, where its answer goes
    turn = 0
    while path is not None:
        clock.advance(days=6)  # a courier, each way
        side, outbox = receivers[turn % 2]
        outcome = side.engine.receive(read_bundle(path), side.holdings, transport="file")
        path = export_bundle(outcome.reply, outbox) if outcome.reply else None
        turn += 1
    names = sorted(p.name for p in [*to_a.iterdir(), *to_b.iterdir()])
    steps = ["1-open", "2-request", "3-answer", "4-result", "5-close"]
    assert names == [f"caseflow-{opened.run.run_id}-{n}.cff" for n in steps]
    for side in (a, b):
        run = side.runs.get(opened.run.run_id)
        assert run.status == "complete"
        assert set(run.matches) == {s.element for s in selectors(SHARED)}


def test_a_bundle_carried_longer_than_two_weeks_is_refused(tmp_path):
    clock = FakeClock()
    a, b = make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]), clock=clock)
    path = export_bundle(a.engine.start(b.key.key_id, a.holdings, transport="file").reply, tmp_path)
    clock.advance(days=14, minutes=1)
    with pytest.raises(MessageRefused) as caught:
        b.engine.receive(read_bundle(path), b.holdings, transport="file")
    assert caught.value.reason == "expired"


def test_exporting_never_overwrites_a_bundle(tmp_path):
    a, b = make_pair(selectors(range(30)), selectors(range(30)))
    data = a.engine.start(b.key.key_id, a.holdings, transport="file").reply
    export_bundle(data, tmp_path)
    with pytest.raises(FileExistsError):
        export_bundle(data, tmp_path)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import caseflow.federation.transport as transport

    monkeypatch.setattr(transport, "MAX_MESSAGE_BYTES", 100)
    path = tmp_path / "big.cff"
    path.write_bytes(b"x" * 101)
    with pytest.raises(MessageRefused, match=r"big\.cff is 101 bytes"):
        read_bundle(path)


# --- HTTPS --------------------------------------------------------------------------------------


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject, issuer, key, issuer_key, *, ca=False, server=False):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA with a server certificate for 127.0.0.1 and a client certificate for A."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test federation CA", "Test federation CA", ca_key, ca_key, ca=True)
    files = {"ca": folder / "ca.pem"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, server in (("server", True), ("client", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(f"caseflow {name}", "Test federation CA", key, ca_key, server=server)
        files[name] = folder / f"{name}.pem"
        files[name].write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return files


class PartnerServer:
    """B's /federation/v1 on loopback: TLS requiring a client certificate, a bearer token that
    names the partner, and the Exchange doing the rest (what the Flask blueprint will do)."""

    def __init__(self, exchange, tokens, pki):
        self.exchange, self.tokens = exchange, tokens
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _partner(self):
                header = self.headers.get("Authorization", "")
                return outer.tokens.get(header.removeprefix("Bearer "))

            def _send(self, reply):
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def _unauthenticated(self):
                body = json.dumps({"error": {"code": "unauthenticated"}}).encode()
                self.send_response(401)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                partner = self._partner()
                if partner is None or self.path != "/federation/v1/messages":
                    return self._unauthenticated()
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self._send(outer.exchange.post_message(body, partner_id=partner))

            def do_GET(self):
                partner = self._partner()
                parts = self.path.split("/")
                if partner is None or len(parts) != 7:
                    return self._unauthenticated()
                reply = outer.exchange.get_message(parts[4], int(parts[6]), partner_id=partner)
                self._send(reply)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki["server"])
        context.load_verify_locations(pki["ca"])
        context.verify_mode = ssl.CERT_REQUIRED
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def online(pki):
    a, b = make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]))
    token = "cff_test-token-for-A"
    with PartnerServer(Exchange(b.engine, b.holdings), {token: a.key.key_id}, pki) as server:
        context = client_tls_context(pki["ca"], pki["client"])
        yield a, b, HttpPeer(server.url, token, ssl_context=context, timeout=30)


def test_a_whole_run_over_https_with_mutual_tls(online):
    a, b, peer = online
    run = drive_run(a.engine, peer, b.key.key_id, a.holdings, sleep=lambda s: None)
    assert run.status == "complete" and run.consistent
    assert set(run.matches) == {s.element for s in selectors(SHARED)}
    theirs = b.runs.get(run.run_id)
    assert theirs.status == "complete"
    assert set(theirs.matches) == set(run.matches)
    assert set(theirs.partner_references) == set(run.matches)


def test_a_replayed_post_is_refused_with_a_409_naming_the_reason(online):
    a, b, peer = online
    opened = a.engine.start(b.key.key_id, a.holdings)
    assert peer.post(opened.reply) == f"/federation/v1/runs/{opened.run.run_id}/messages/2"
    with pytest.raises(PartnerError) as caught:
        peer.post(opened.reply)
    assert caught.value.status == 409 and caught.value.reason == "replayed"
    assert "was opened before" in caught.value.message


def test_a_refusal_over_https_reaches_the_initiator_signed(online):
    a, b, peer = online
    b.directory.replace(a.key.key_id, limits=FederationLimits(min_set_size=500))
    run = drive_run(a.engine, peer, b.key.key_id, a.holdings, sleep=lambda s: None)
    assert run.status == "refused"
    assert run.refusal[:2] == ("partner", "too_few_selectors")
    assert run.messages[-1].direction == "received" and run.messages[-1].type == "refusal"


def test_when_the_initiator_refuses_over_https_the_partner_gets_its_signed_refusal(online):
    a, b, peer = online
    a.directory.replace(b.key.key_id, limits=FederationLimits(min_set_size=10, max_set_size=80))
    with pytest.raises(RunRefused) as caught:
        drive_run(a.engine, peer, b.key.key_id, a.holdings, sleep=lambda s: None)
    assert caught.value.reason == "too_many_selectors"
    (theirs,) = b.runs.runs_with(a.key.key_id)
    assert theirs.status == "refused"
    assert theirs.refusal[:2] == ("partner", "too_many_selectors")


def test_a_wrong_token_is_unauthenticated(online, pki):
    a, b, peer = online
    intruder = HttpPeer(peer.endpoint, "cff_wrong", ssl_context=peer.ssl_context)
    with pytest.raises(PartnerError) as caught:
        intruder.post(a.engine.start(b.key.key_id, a.holdings).reply)
    assert caught.value.status == 401


def test_without_a_client_certificate_the_partner_is_unreachable(online, pki):
    a, b, peer = online
    no_cert = HttpPeer(peer.endpoint, peer.token, ssl_context=client_tls_context(pki["ca"]))
    with pytest.raises(PartnerError) as caught:
        no_cert.post(a.engine.start(b.key.key_id, a.holdings).reply)
    assert caught.value.reason == "unreachable"


def test_the_exchange_answers_pending_then_the_message_then_not_found():
    a, b = make_pair(selectors([*A_ONLY, *SHARED]), selectors([*SHARED, *B_ONLY]))
    exchange = Exchange(b.engine, b.holdings)
    opened = a.engine.start(b.key.key_id, a.holdings)
    receipt = exchange.post_message(opened.reply, partner_id=a.key.key_id)
    assert receipt.status == 202
    reply_path = json.loads(receipt.body)["reply"]
    run_id = opened.run.run_id
    message = exchange.get_message(run_id, 2, partner_id=a.key.key_id)
    assert message.status == 200 and message.content_type == MEDIA_TYPE
    assert reply_path.endswith("/messages/2")
    assert parse_message(message.body).header.type == "request"
    assert exchange.get_message(run_id, 3, partner_id=a.key.key_id).status == 202
    assert exchange.get_message(run_id, 4, partner_id=a.key.key_id).status == 404
    assert exchange.get_message(run_id, 2, partner_id="ab" * 32).status == 404


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://caseflow.partner.example.org", True),
        ("https://caseflow.partner.example.org:8443/", True),
        ("http://127.0.0.1:5000", True),
        ("http://caseflow.partner.example.org", False),
        ("ftp://caseflow.partner.example.org", False),
        ("https://user:pw@caseflow.partner.example.org", False),
        ("https://caseflow.partner.example.org/?q=1", False),
    ],
)
def test_partner_endpoints_must_be_https(url, ok):
    if ok:
        assert check_endpoint(url) == url.rstrip("/")
    else:
        with pytest.raises(ValidationError) as caught:
            check_endpoint(url)
        assert caught.value.field == "endpoint"
