"""Where the demo writes: the output directory, the database (new and migrated, never replaced by surprise)
and, at the end, a recertify.toml that points the next commands at that database."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from config import load_settings
from reviews import audit
from reviews.errors import InvalidArgument
from reviews.storage.db import create_db_engine, session_scope, upgrade
from reviews.storage.models import Store

DEMO_DB = "demo.db"


@dataclass(frozen=True)
class Target:
    out: Path
    url: str
    shown: str  # the database for people: a path, or the URL without its password
    external: bool  # from RECERTIFY_DATABASE_URL: never ours to delete


def prepare(out_dir: Path, fresh: bool) -> Target:
    """The database, new and migrated, and the output directory; refuses to replace anything by surprise."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidArgument(f"--out {out_dir}: exists and is not a directory")
    external = os.environ.get("RECERTIFY_DATABASE_URL")
    if external and fresh:
        raise InvalidArgument(
            "--fresh replaces the demo's own SQLite database; with RECERTIFY_DATABASE_URL the demo needs an "
            "empty database and never deletes anything in it"
        )
    database = out_dir / DEMO_DB
    if not external and database.exists() and not fresh:
        raise InvalidArgument(
            f"{database} already exists: add --fresh to replace it, or choose another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    if external:
        url = load_settings(None, {"RECERTIFY_DATABASE_URL": external}).settings.database.url
    else:
        for leftover in (
            database,
            *out_dir.glob(f"{DEMO_DB}-*"),
            *out_dir.glob("campaign-*-*.*"),
            *out_dir.glob("attestation-*.json"),
            *out_dir.glob("attest-key*.pem"),
        ):
            leftover.unlink(missing_ok=True)
        url = f"sqlite:///{database}"
    engine = create_db_engine(url)
    try:
        shown = str(database) if not external else engine.url.render_as_string(hide_password=True)
        upgrade(engine)
        with session_scope(engine) as session:
            events, store = audit.head(session).seq, session.exec(select(Store.id)).first()
    finally:
        engine.dispose()
    if events or store is not None:
        raise InvalidArgument(
            f"RECERTIFY_DATABASE_URL ({shown}) already holds Recertify data ({events} audit events): the "
            "demo writes only into an empty database and never deletes anything; point it at a new one"
        )
    return Target(out_dir, url, shown, external=bool(external))


ATTEST_KEY = "attest-key.pem"  # the demo's signing key for attestations (its public key: attest-key.pub.pem)


def write_config(target: Target) -> None:
    database = (
        "# [database] comes from RECERTIFY_DATABASE_URL, as it did for the demo\n"
        if target.external
        else f"[database]\nurl = {json.dumps(target.url)}\n"
    )
    (target.out / "recertify.toml").write_text(
        "# Written by `recertify demo`: its database, with every source off (the simulators are gone), for\n"
        "# the commands that read: access, audit history|verify|export, campaign show, revocations list.\n"
        "# examples/recertify.toml shows a real configuration.\n\n"
        f"{database}\n[aws]\nenabled = false\n\n[entra]\nenabled = false\n\n[azure]\nenabled = false\n\n"
        "[slack]\nenabled = false\n\n"
        f"[attest]\nkey_file = {json.dumps(str((target.out / ATTEST_KEY).resolve()))}  # the demo's key\n",
        encoding="utf-8",
    )


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
