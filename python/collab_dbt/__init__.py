"""Runs dbt on the warehouse a JDBC URL names (bin/collab-dbt)."""
