"""The request PDF is signed at approval by the issuing authority's signatory, the validating
authority's where there is one, and last the installation's seal: PAdES B-B without a TSA,
B-LT (RFC 3161 signature timestamps and validation data in the DSS) with one. `pdfsig` and
`pyhanko sign validate` agree on every signature, and the bundled verify.py accepts the
earlier signatures, which cover their revision only, because the last covers the file."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

from caseflow.mla import services
from caseflow.uow import Transactions
from exports.signing import Timestamping
from tests.factories import approve, make_user
from tests.helpers import totp_now
from tests.integration.test_frozen_packet import submit_linked_request
from tests.tsa import local_tsa

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("openssl")), reason="needs pdfsig and openssl"
)

VALIDATOR = {
    "validator_authority": "Westminster Magistrates' Court (fictional)",
    "validator_name": "Judge Sam Example",
    "validator_post": "District Judge",
}


@pytest.fixture
def liaison(app):
    return make_user(app, "liaison")


@pytest.fixture
def supervisor(app):
    return make_user(app, "supervisor")


@pytest.fixture
def submitted(app, clock, liaison, supervisor):
    return submit_linked_request(app, clock, liaison, supervisor)


def export(app, user, request_id, out_dir: Path) -> Path:
    with app.app_context():
        from caseflow.extensions import db_session
        from tests.factories import actor_of

        session = db_session()
        return services.export_packet(
            Transactions(session),
            actor_of(session, user),
            request_id,
            recipient="Office of the Attorney General (fictional)",
            signer=app.extensions["caseflow.packet_signer"],
            store=app.extensions["caseflow.blobstore"],
            out_dir=out_dir,
            now=app.config["CLOCK"](),
        ).path


def pdfsig(pdf: Path) -> list[dict[str, str]]:
    """Each signature pdfsig reports: field name, signer, validation, whole-file coverage."""
    out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    found = []
    for block in re.split(r"^Signature #\d+:$", out, flags=re.M)[1:]:
        found.append(
            {
                "field": re.search(r"Signature Field Name: (.*)", block).group(1).strip(),
                "signer": re.search(r"Signer Certificate Common Name: (.*)", block)
                .group(1)
                .strip(),
                "valid": "Signature is Valid" in block,
                "whole": "Total document signed" in block,
            }
        )
    return found


def pyhanko_validate(pdf: Path, roots: list[Path]) -> tuple[int, list[dict[str, object]]]:
    """`pyhanko sign validate --pretty-print` with only the given trust roots."""
    trust = [arg for root in roots for arg in ("--trust", str(root))]
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("pyhanko")),
            "sign",
            "validate",
            "--pretty-print",
            "--trust-replace",
            *trust,
            str(pdf),
        ],
        capture_output=True,
        text=True,
    )
    found = []
    for block in re.split(r"^Field \d+: ", run.stdout, flags=re.M)[1:]:
        found.append(
            {
                "field": block.splitlines()[0].strip(),
                "valid": "The signature is judged VALID" in block,
                "sound": "The signature is cryptographically sound" in block,
                "whole": "The signature covers the entire file" in block,
                "timestamped": "Signature timestamp token" in block,
            }
        )
    return run.returncode, found


def unpack(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(folder)
    return folder


def check_agreement(folder: Path, roots: list[Path]) -> tuple[list, list]:
    pdf = folder / "request.pdf"
    by_pdfsig = pdfsig(pdf)
    code, by_pyhanko = pyhanko_validate(pdf, roots)
    assert code == 0, by_pyhanko
    assert [s["field"] for s in by_pdfsig] == [s["field"] for s in by_pyhanko]
    for ours, theirs in zip(by_pdfsig, by_pyhanko, strict=True):
        assert ours["valid"] and theirs["valid"] and theirs["sound"], (ours, theirs)
        assert ours["whole"] == theirs["whole"], (ours, theirs)
    return by_pdfsig, by_pyhanko


def run_bundled_verifier(folder: Path) -> str:
    run = subprocess.run(
        [sys.executable, "verify.py", "."], cwd=folder, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_issuer_validator_and_seal_sign_pades_b_b_and_every_tool_agrees(
    app,
    clock,
    liaison,
    supervisor,
    submitted,
    tmp_path,
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock), **VALIDATOR)
    folder = unpack(export(app, liaison, submitted["request"], tmp_path / "out"), tmp_path / "p")
    roots = [folder / "certs" / "root.pem", folder / "certs" / "issuer-root.pem"]
    by_pdfsig, by_pyhanko = check_agreement(folder, roots)
    assert [(s["field"], s["signer"], s["whole"]) for s in by_pdfsig] == [
        ("Issuer", "Jane Example", False),
        ("Validator", "Judge Sam Example", False),
        ("CaseFlow", by_pdfsig[2]["signer"], True),
    ]
    assert not any(s["timestamped"] for s in by_pyhanko)  # B-B: no TSA configured
    assert (
        "pyhanko sign validate --trust-replace --trust certs/root.pem "
        "--trust certs/issuer-root.pem --trust certs/validator-root.pem request.pdf"
    ) in (folder / "VERIFY.txt").read_text()
    out = run_bundled_verifier(folder)
    assert "OK   request.pdf signature 1 of 3 covers its revision" in out
    assert "OK   request.pdf signature 2 of 3 CMS signature (validator)" in out
    assert "OK   request.pdf signature covers whole file" in out
    # The authority certificates come from the development test CA in the instance folder.
    instance_ca = Path(app.instance_path) / "authority-signing" / "ca.pem"
    assert (folder / "certs" / "issuer-root.pem").read_bytes() == instance_ca.read_bytes()


def test_an_earlier_signature_with_a_tampered_revision_fails_the_bundled_verifier(
    app,
    clock,
    liaison,
    supervisor,
    submitted,
    tmp_path,
):
    approve(app, supervisor, submitted["request"], totp_now(supervisor.seed, clock))
    folder = unpack(export(app, liaison, submitted["request"], tmp_path / "out"), tmp_path / "p")
    pdf = (folder / "request.pdf").read_bytes()
    first = [int(x) for x in re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", pdf)[0]]
    # The issuer's certificate swapped for the installation's: the issuer's signature no
    # longer finds its certificate, and the verifier says which signature failed.
    (folder / "certs" / "issuer.pem").write_bytes((folder / "certs" / "signer.pem").read_bytes())
    run = subprocess.run(
        [sys.executable, "verify.py", "."], cwd=folder, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert "signature 1 of 2" in run.stdout
    assert first[0] == 0


def test_with_a_tsa_every_signature_is_pades_b_lt(
    app,
    clock,
    liaison,
    supervisor,
    submitted,
    tmp_path,
    tmp_path_factory,
):
    with local_tsa(tmp_path_factory.mktemp("tsa")) as tsa:
        (tmp_path / "tsa-root.pem").write_bytes(tsa.root_pem)
        approve(
            app,
            supervisor,
            submitted["request"],
            totp_now(supervisor.seed, clock),
            tsa=Timestamping(tsa.url, (tsa.root_pem,), (tsa.root_crl,)),
        )
    folder = unpack(export(app, liaison, submitted["request"], tmp_path / "out"), tmp_path / "p")
    roots = [
        folder / "certs" / "root.pem",
        folder / "certs" / "issuer-root.pem",
        tmp_path / "tsa-root.pem",
    ]
    by_pdfsig, by_pyhanko = check_agreement(folder, roots)
    assert [s["field"] for s in by_pdfsig] == ["Issuer", "CaseFlow"]
    assert [s["whole"] for s in by_pdfsig] == [False, True]
    # B-T: each signature carries an RFC 3161 signature timestamp ...
    assert all(s["timestamped"] for s in by_pyhanko), by_pyhanko
    # ... and B-LT: the DSS holds the certificates and CRLs to validate them later.
    reader = PdfFileReader(io.BytesIO((folder / "request.pdf").read_bytes()))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 2 and len(dss.certs) >= 4
    run_bundled_verifier(folder)


def test_a_tsa_that_does_not_answer_leaves_the_request_unapproved(
    app,
    clock,
    supervisor,
    submitted,
    db,
):
    from caseflow.errors import ConflictError
    from caseflow.mla.models import MlaRequest

    with pytest.raises(ConflictError, match=r"could not be timestamped by http://127\.0\.0\.1:9/"):
        approve(
            app,
            supervisor,
            submitted["request"],
            totp_now(supervisor.seed, clock),
            tsa=Timestamping("http://127.0.0.1:9/", timeout=2),
        )
    assert db.get(MlaRequest, submitted["request"]).status == "submitted"
