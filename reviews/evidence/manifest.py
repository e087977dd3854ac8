"""The manifest of an export: each file written with its SHA-256 and size, the audit chain head the evidence
was read at, when and by whom. Files are written whole or not at all (a temporary file in the same
directory, flushed, then renamed), so a name in the manifest never points at half a file.

A campaign has one manifest per directory, listing every evidence file of the set: an export of some formats
keeps the entries of the earlier manifest for the files it did not rewrite, each hashed again first and kept
only when the file is still the one that manifest listed (each entry says when and at which chain head its
file was read). A listed file always matches its hash."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviews.evidence.collect import Evidence

MANIFEST_VERSION = "recertify.evidence-manifest/2"  # /2: each file says when and at which head it was read


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


@dataclass(frozen=True, slots=True)
class EarlierFiles:
    """What an earlier manifest in the same directory lists besides this export's files: the entries still
    true (the file there, with the hash listed), and a note for each one dropped."""

    entries: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()


def earlier_files(manifest: Path, campaign_id: int, rewritten: set[str]) -> EarlierFiles:
    """The entries of the manifest at `manifest` for files not in `rewritten`, each checked against the file
    on disk now. An unreadable manifest, or another campaign's, is replaced (and said so)."""
    if not manifest.exists():
        return EarlierFiles()
    try:
        body = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        return EarlierFiles(notes=(f"{manifest.name} was not a readable manifest: replaced",))
    if (
        not isinstance(body, dict)
        or body.get("campaign_id") != campaign_id
        or not isinstance(body.get("files"), list)
    ):
        return EarlierFiles(notes=(f"{manifest.name} was not this campaign's manifest: replaced",))
    entries, notes = [], []
    for entry in body["files"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name in rewritten or Path(name).name != name or name.startswith("."):
            continue
        try:
            with (manifest.parent / name).open("rb") as handle:
                digest, size = hashlib.file_digest(handle, "sha256").hexdigest(), handle.tell()
        except OSError:
            notes.append(f"{name} is listed by the earlier manifest but is gone: no longer listed")
            continue
        if digest != entry.get("sha256"):
            notes.append(f"{name} changed since it was exported (its hash differs): no longer listed")
            continue
        entries.append(
            {
                **entry,
                "bytes": size,
                "exported_at": entry.get("exported_at", body.get("exported_at")),
                "audit_head": entry.get("audit_head", body.get("audit_head")),
            }
        )
    return EarlierFiles(tuple(entries), tuple(notes))


def manifest_json(
    evidence: Evidence,
    files: list[WrittenFile],
    *,
    keep_all_within: int,
    earlier: EarlierFiles = EarlierFiles(),
) -> bytes:
    """This export's files (read now, at the evidence's chain head) and the earlier ones still true, in
    format order."""
    campaign = evidence.campaign
    now = {"exported_at": evidence.exported_at.isoformat(), "audit_head": str(evidence.audit_head)}
    listed = [*({**f.as_json(), **now} for f in files), *earlier.entries]
    order = {"csv": 0, "json": 1, "html": 2}
    listed.sort(key=lambda entry: (order.get(str(entry.get("format")), 9), str(entry.get("name"))))
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
        "files": listed,
    }
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
