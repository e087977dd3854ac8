"""`recertify serve` behind a real PgBouncer (DESIGN §5): in transaction mode the scheduler's session lock
cannot work, so `serve` refuses to start, says why and how to fix it, and leaves no lease behind; in
session mode the same PgBouncer is fine and the replica leads."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import DEVNULL

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from scheduler.leadership import advisory_key
from tests import test_replicas
from tests.test_replicas import Replica, free_port, healthy, lease

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = {mode}
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
ignore_startup_parameters = extra_float_digits,options
"""

replica = test_replicas.replica  # `serve --http` as an operator runs it, its output in tmp_path/NAME.log
direct = test_replicas.engine  # the test database without PgBouncer: what is really held
Bouncer = Callable[[str], str]  # pool mode → the test database's URL through a PgBouncer in that mode


@pytest.fixture
def pgbouncer(postgresql_url: str) -> Iterator[Bouncer]:
    """Starts PgBouncer on a free port in front of the test database. It refuses to run as root, so as
    root it runs as `postgres`, with its files in a directory of its own."""
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)")
    upstream = make_url(postgresql_url)
    started: list[subprocess.Popen[bytes]] = []
    directories: list[Path] = []

    def start(mode: str) -> str:
        directory = Path(tempfile.mkdtemp(prefix="recertify-pgbouncer-"))  # tmp_path is root's alone
        directories.append(directory)
        prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(directory, account.pw_uid, account.pw_gid)
            prefix = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups"]
        listen = free_port()
        config = directory / "pgbouncer.ini"
        config.write_text(
            CONFIG.format(
                host=upstream.host, port=upstream.port or 5432, listen=listen, directory=directory, mode=mode
            )
        )
        (directory / "users.txt").write_text(f'"{upstream.username}" "{upstream.password or ""}"\n')
        process = subprocess.Popen([*prefix, PGBOUNCER, str(config)], stdout=DEVNULL, stderr=DEVNULL)
        started.append(process)
        deadline = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1",
                    port=listen,
                    user=upstream.username,
                    dbname=upstream.database,
                    connect_timeout=2,
                ) as probe:
                    probe.execute("SELECT 1")
                break
            except psycopg.OperationalError:
                log = directory / "pgbouncer.log"
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"PgBouncer did not start:\n{log.read_text() if log.exists() else ''}")
                time.sleep(0.05)
        return upstream.set(host="127.0.0.1", port=listen).render_as_string(hide_password=False)

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


def output(tmp_path: Path) -> str:
    return (tmp_path / "pooled.log").read_text(errors="replace")


def advisory_locks(engine: Engine) -> int:
    """Advisory locks on the scheduler's key held by any session, PgBouncer's server connections included."""
    key = advisory_key("scheduler")
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key"
    )
    with engine.connect() as connection:
        return int(connection.execute(query, {"key": key}).scalar_one())


def test_serve_refuses_transaction_pooling_with_a_way_out_and_holds_nothing(
    pgbouncer: Bouncer, replica: Replica, direct: Engine, tmp_path: Path
) -> None:
    process, _ = replica("pooled", RECERTIFY_DATABASE_URL=pgbouncer("transaction"))
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop behind transaction pooling:\n{output(tmp_path)}")
    said = output(tmp_path)  # its stderr: nothing reaches stdout before the scheduler starts
    assert process.returncode != 0, said
    assert "error: the scheduler's leadership lock cannot work on this database connection" in said, said
    assert "transaction mode (PgBouncer pool_mode = transaction)" in said, said
    assert "directly or at a session-mode pool" in said, said
    assert "Traceback" not in said
    assert lease(direct) is None
    assert advisory_locks(direct) == 0


def test_serve_leads_behind_session_pooling(
    pgbouncer: Bouncer, replica: Replica, direct: Engine, tmp_path: Path
) -> None:
    process, port = replica("pooled", RECERTIFY_DATABASE_URL=pgbouncer("session"))
    deadline = time.monotonic() + 30
    while not (healthy(port) and lease(direct) is not None):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"serve did not lead behind session pooling:\n{output(tmp_path)}")
        time.sleep(0.1)
    held = lease(direct)
    assert held is not None and held[0].endswith(f":{process.pid}")
    assert advisory_locks(direct) == 1
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0, output(tmp_path)
    assert advisory_locks(direct) == 0  # released at shutdown: no server session of PgBouncer keeps it
