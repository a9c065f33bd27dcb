"""Helpers of the dbt suite: the real pipeline on a generated workload, a throwaway PostgreSQL, and bin/collab-dbt.

Everything runs for real: bin/collab-pipeline (which builds the Java module if needed) writes the raw store and the
curated tables, then bin/collab-dbt builds the dbt project on them. Each test module's outputs live under pytest's
tmp_path; dbt's target/ and logs/ too, so parallel runs on one machine do not share files.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

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
