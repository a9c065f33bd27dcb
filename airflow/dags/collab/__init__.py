"""Shared logic of the collab-pipeline DAGs: plain Python that the DAG files call and the tests import.

Nothing here runs at import time. Modules that need Airflow import it inside their functions, so `dates`, `config`,
`commands`, `emr`, `flink` and `asana_lock` can be used (and tested) without an Airflow installation.
"""
