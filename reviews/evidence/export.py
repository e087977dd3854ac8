"""`recertify audit export`: one campaign's evidence as CSV, JSON and/or HTML, plus a manifest. CSV is two
tables: the items (`campaign-N-evidence.csv`) and the campaign's history, its audit events told one by one
(`campaign-N-history.csv`); JSON and HTML hold both.

Everything is read and rendered in memory before the first byte is written, so a refusal (unknown
campaign, not an auditor, a population that does not add up) leaves the output directory untouched. The
evidence files are written first and the manifest last: a manifest on disk means its files are complete.
The manifest lists the whole set: an earlier export's files that this one did not rewrite stay listed when
they still match their hash (reviews.evidence.manifest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

from reviews import audit
from reviews.actors import Actor
from reviews.errors import InvalidArgument
from reviews.evidence.collect import Evidence, read_evidence
from reviews.evidence.manifest import EarlierFiles, WrittenFile, earlier_files, manifest_json, write_file
from reviews.evidence.quality import KEEP_ALL_WITHIN_SECONDS, QualityReport, reviewer_quality
from reviews.evidence.render_csv import render_csv, render_history_csv
from reviews.evidence.render_html import render_html
from reviews.evidence.render_json import render_json
from reviews.ports import Clock


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    HTML = "html"


RENDERERS: dict[ExportFormat, Callable[[Evidence, QualityReport], bytes]] = {
    ExportFormat.CSV: lambda evidence, _quality: render_csv(evidence),
    ExportFormat.JSON: render_json,
    ExportFormat.HTML: render_html,
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    files: tuple[WrittenFile, ...]
    manifest: WrittenFile
    earlier: EarlierFiles  # the files of earlier exports the manifest still lists, and those it dropped
    audit_head: audit.ChainHead
    population_count: int


def evidence_name(campaign_id: int, fmt: ExportFormat) -> str:
    return f"campaign-{campaign_id}-evidence.{fmt.value}"


def history_name(campaign_id: int) -> str:
    return f"campaign-{campaign_id}-history.csv"


def manifest_name(campaign_id: int) -> str:
    return f"campaign-{campaign_id}-manifest.json"


def export_campaign(
    engine: Engine,
    actor: Actor,
    campaign_id: int,
    *,
    formats: Iterable[ExportFormat],
    out_dir: Path,
    clock: Clock,
    keep_all_within: int = KEEP_ALL_WITHIN_SECONDS,
) -> ExportResult:
    chosen = [fmt for fmt in ExportFormat if fmt in set(formats)]
    if not chosen:
        raise InvalidArgument("choose at least one format: csv, json or html")
    if keep_all_within < 1:
        raise InvalidArgument(f"keep-all-within must be at least 1 second, not {keep_all_within}")
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidArgument(f"{out_dir} exists and is not a directory")
    evidence = read_evidence(engine, actor, campaign_id, clock=clock)
    quality = reviewer_quality(
        list(evidence.rows), campaign_started_at=evidence.campaign.started_at, keep_all_within=keep_all_within
    )
    rendered: list[tuple[str, bytes, str]] = []
    for fmt in chosen:
        rendered.append((evidence_name(campaign_id, fmt), RENDERERS[fmt](evidence, quality), fmt.value))
        if fmt is ExportFormat.CSV:  # a second table: the campaign's audit events, one per row
            rendered.append((history_name(campaign_id), render_history_csv(evidence), fmt.value))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [write_file(out_dir / name, data, kind) for name, data, kind in rendered]
    manifest_path = out_dir / manifest_name(campaign_id)
    earlier = earlier_files(manifest_path, campaign_id, {f.path.name for f in files})
    manifest = write_file(
        manifest_path,
        manifest_json(evidence, files, keep_all_within=keep_all_within, earlier=earlier),
        "manifest",
    )
    return ExportResult(
        tuple(files), manifest, earlier, evidence.audit_head, evidence.campaign.population_count
    )
