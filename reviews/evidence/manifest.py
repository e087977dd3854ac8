"""The manifest of an export: each file written with its SHA-256 and size, the audit chain head the evidence
was read at, when and by whom. Files are written whole or not at all (a temporary file in the same
directory, flushed, then renamed), so a name in the manifest never points at half a file."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviews.evidence.collect import Evidence

MANIFEST_VERSION = "recertify.evidence-manifest/1"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    format: str  # csv | json | html | manifest
    sha256: str
    size: int  # bytes

    def as_json(self) -> dict[str, Any]:
        return {"name": self.path.name, "format": self.format, "sha256": self.sha256, "bytes": self.size}


def write_file(path: Path, data: bytes, format: str) -> WrittenFile:  # noqa: A002
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # Created like any file (mode 0666 less the umask), and never over something already there.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return WrittenFile(path, format, hashlib.sha256(data).hexdigest(), len(data))


def manifest_json(evidence: Evidence, files: list[WrittenFile], *, keep_all_within: int) -> bytes:
    campaign = evidence.campaign
    body = {
        "format": MANIFEST_VERSION,
        "campaign_id": campaign.id,
        "cycle": campaign.cycle,
        "cycle_version": campaign.cycle_version,
        "population_count": campaign.population_count,
        "population_sha256": campaign.population_sha256,
        "items": len(evidence.rows),
        "audit_head": str(evidence.audit_head),
        "exported_at": evidence.exported_at.isoformat(),
        "exported_by": evidence.exported_by,
        "keep_all_within_seconds": keep_all_within,
        "files": [f.as_json() for f in files],
    }
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
