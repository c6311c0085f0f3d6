"""Test certificates made with the openssl CLI: a CA, a second CA, and certificates they signed."""

from __future__ import annotations

import subprocess
from pathlib import Path


class PKI:
    """A test CA, a second CA, and certificates they signed (openssl CLI, EC keys: fast)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = self._ca("ca")
        self.other_ca = self._ca("other-ca")
        self.server = self.issue("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
        self.client = self.issue("central-broker", "central-broker", "DNS:central-broker")
        self.other_client = self.issue(
            "central-broker-other", "central-broker", "DNS:central-broker", ca="other-ca"
        )

    def _run(self, *args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.folder)

    def _ca(self, name: str) -> Path:
        self._run(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        return self.folder / f"{name}.pem"

    def issue(self, name: str, cn: str, san: str, ca: str = "ca") -> tuple[Path, Path]:
        """(certificate, key) for ``cn`` with subject alternative names ``san``, signed by ``ca``."""
        (self.folder / f"{name}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
        )
        self._run(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr",
        )  # fmt: skip
        self._run(
            "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext",
        )  # fmt: skip
        return self.folder / f"{name}.pem", self.folder / f"{name}.key"
