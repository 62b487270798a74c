"""The installation's packet-signing certificate: PKCS#12 from configuration in production,
else a self-signed pair generated once into the instance folder. Must not import flask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from exports.signing import PdfSigner, generate_self_signed

FOLDER = "packet-signing"


def load_or_create_signer(
    instance_path: Path,
    *,
    organisation: str,
    p12_path: str | None = None,
    p12_password: str | None = None,
) -> PdfSigner:
    """The signer packets use.

    With `p12_path` (CASEFLOW_SIGNING_P12) the PKCS#12 file and its password are loaded and
    nothing is generated; a wrong password or a file without a key raises ValueError at start.
    Otherwise `instance/packet-signing/` holds `key.pem` (0600), `cert.pem` and `root.pem`,
    generated at first start; recipients pin `root.pem`. A concurrent first start is safe:
    the key file is created with O_EXCL and the loser loads the winner's files.
    """
    if p12_path:
        return PdfSigner.from_pkcs12(p12_path, p12_password)
    folder = Path(instance_path) / FOLDER
    key, cert, root = folder / "key.pem", folder / "cert.pem", folder / "root.pem"
    if not key.exists():
        folder.mkdir(parents=True, exist_ok=True)
        identity = generate_self_signed(f"{organisation} packet signing", organisation)
        with contextlib.suppress(FileExistsError):
            # Certificates first, key last: a present key means a complete identity.
            cert.write_bytes(identity.cert_pem)
            root.write_bytes(identity.root_pem)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(identity.key_pem)
    return PdfSigner.from_pem(key.read_bytes(), cert.read_bytes(), root.read_bytes())
