"""The Airflow suite runs a real Airflow 3 (from .venv/airflow) on a metadata database of its own: AIRFLOW_HOME is a
temporary directory set before anything imports Airflow, so concurrent runs of the suite never share state. No
server is started; nothing listens on a fixed port."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DAGS = REPO / "airflow" / "dags"
_HOME = Path(tempfile.mkdtemp(prefix="collab-airflow-test-"))

os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME}/airflow.db"
os.environ["COLLAB_HOME"] = str(REPO)
for name in [n for n in os.environ if n.startswith("COLLAB_") and n != "COLLAB_HOME"]:
    del os.environ[name]  # the suite's settings are its own, not the caller's
# The generator writes events of 2026-11-02: runs for those dates need an earlier start date.
os.environ["COLLAB_DAGS_START_DATE"] = "2026-11-01"
os.environ["PYTHONPATH"] = str(DAGS) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
sys.path.insert(0, str(DAGS))


@pytest.fixture(scope="session")
def airflow_db():
    """The metadata database, migrated, with the replay pool, by the project's own command."""
    subprocess.run([str(REPO / "bin" / "collab-airflow"), "pools", "list"], check=True, capture_output=True)
    yield _HOME


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)
