"""HTTPS on 127.0.0.1: a self-signed certificate made at start, and `LocalServer` behind TLS.

Why TLS: azure-core's `BearerTokenCredentialPolicy` refuses to send a bearer token to a plain-http URL
("Bearer token authentication is not permitted for non-TLS protected (non-https) URLs."); the only way
around it is `enforce_https=False` on every single operation call, a switch production code must never
carry and tests would then exercise unlike production. So the simulator speaks HTTPS and clients trust
its certificate: `connection_verify=sim.ca_bundle` on the client, or `REQUESTS_CA_BUNDLE=sim.ca_bundle`
(azure-core's requests transport honours it), exactly as a client of a TLS-inspecting proxy would.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from simulators.transport import App, LocalServer, _Server


def write_self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1 and localhost; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ARM simulator 127.0.0.1")])
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "arm-simulator.pem", directory / "arm-simulator.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class TlsLocalServer(LocalServer):
    """`LocalServer` whose listening socket is wrapped in TLS. The handshake happens on the connection's own
    thread (on its first read), so a client that connects and stalls holds up no one else."""

    def __init__(self, app: App, name: str, cert: Path, key: Path) -> None:
        super().__init__(app, name)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._context.load_cert_chain(cert, key)

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the server is already started")
        server = _Server(self._app)
        server.socket = self._context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=self._name, daemon=True
        )
        self._thread.start()
