"""Fixtures of the dbt suite (helpers in collab_dbt_harness.py: module names of their own, since other Python suites
of this repository have a conftest too)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from collab_dbt_harness import Postgres, free_port


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
