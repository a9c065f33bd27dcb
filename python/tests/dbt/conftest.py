"""Fixtures of the dbt suite: the real pipeline on a generated workload, a throwaway PostgreSQL, and bin/collab-dbt.

Everything runs for real: bin/collab-pipeline (which builds the Java module if needed) writes the raw store and the
curated tables, then bin/collab-dbt builds the dbt project on them. Each test module's outputs live under pytest's
tmp_path; dbt's target/ and logs/ too, so parallel runs on one machine do not share files.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]
PIPELINE_TIMEOUT_S = 600
DBT_TIMEOUT_S = 300


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: int = PIPELINE_TIMEOUT_S,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs a command from the repo root; on failure the assertion shows the end of its output."""
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def pipeline(*args: str) -> subprocess.CompletedProcess[str]:
    return run([str(ROOT / "bin" / "collab-pipeline"), *args])


@dataclass
class Dbt:
    """bin/collab-dbt against one warehouse, with its own target/ and logs/."""

    warehouse_url: str
    raw_store: Path
    work: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            **self.extra_env,
            "COLLAB_WAREHOUSE_URL": self.warehouse_url,
            "COLLAB_RAW_STORE": str(self.raw_store),
            "DBT_TARGET_PATH": str(self.work / "target"),
            "DBT_LOG_PATH": str(self.work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([str(ROOT / "bin" / "collab-dbt"), *args], env=self.env(), timeout=DBT_TIMEOUT_S, check=check)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    port: int

    def url(self, database: str) -> str:
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{database}?user=postgres"

    def create_database(self, name: str) -> str:
        import psycopg2

        c = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            c.autocommit = True  # CREATE DATABASE runs outside a transaction
            with c.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
        finally:
            c.close()
        return self.url(name)


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        pytest.skip("no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)")
    return versions[-1].parent


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL on a free loopback port (never the dev stack's 55432), like the Java tests' LocalPostgres."""
    bin_dir = _pg_bin()
    # Not under pytest's tmp_path: that is private to this user, and as root the server runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="collab-dbt-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    port = free_port()
    subprocess.run([*as_owner, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off",
                    "-w", "-t", "60", "start"], check=True, capture_output=True)
    try:
        yield Postgres(port)
    finally:
        subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
