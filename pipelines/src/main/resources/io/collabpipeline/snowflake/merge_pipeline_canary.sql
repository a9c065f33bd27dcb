-- Moves the staged canaries of the freshness probe into pipeline_canary, then removes the staged rows the table holds.
-- One text for every engine: WriteSnowflakeCanaries runs it after the batch COPY, the merge_pipeline_canary TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_pipeline_canary.sql, 04_loading.sql) after Snowpipe loads, and the
-- offline tests run it on PostgreSQL. So it uses only SQL that Snowflake, PostgreSQL (15+) and DuckDB (1.4+) share:
-- MERGE, ROW_NUMBER() in a subquery (no QUALIFY), correlated EXISTS, CURRENT_TIMESTAMP without parentheses, unquoted
-- identifiers.
--
-- Rule: insert once. A canary whose event_id is stored is never touched again (its written_at is the instant it first
-- became queryable, which is what the probe measures), so a re-run, a retried bundle or a re-staged file changes
-- nothing. The stage may hold one canary several times (a retried COPY of a new file, a replayed bundle): the first
-- arrival is inserted, once; Snowflake's MERGE would otherwise insert every unmatched source row.
MERGE INTO pipeline_canary AS t
USING (
  SELECT event_id, source_partition, occurred_at, arrived_at
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY event_id
             ORDER BY arrived_at, occurred_at, source_partition) AS first_staged
    FROM pipeline_canary_stage AS staged
  ) AS ranked
  WHERE first_staged = 1
) AS s
ON t.event_id = s.event_id
WHEN NOT MATCHED THEN
  INSERT (event_id, source_partition, occurred_at, arrived_at, written_at)
  VALUES (s.event_id, s.source_partition, s.occurred_at, s.arrived_at, CURRENT_TIMESTAMP);

-- Staged canaries the table now holds (inserted above or long before). A canary staged while the MERGE ran is not in
-- the table yet and stays for the next run, so clearing never loses one.
DELETE FROM pipeline_canary_stage
WHERE EXISTS (
  SELECT 1
  FROM pipeline_canary AS t
  WHERE t.event_id = pipeline_canary_stage.event_id);
