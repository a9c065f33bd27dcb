-- MERGE of the staged rows of pipeline_completeness into the curated table, then removal of the staged rows it covers.
-- One text for every engine: WriteSnowflakeCurated runs it after the batch COPY, the merge_pipeline_completeness TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_pipeline_completeness.sql, 04_loading.sql) after Snowpipe loads, and the offline tests
-- run it on PostgreSQL. So it uses only SQL that Snowflake, PostgreSQL (15+) and DuckDB (1.4+) share: MERGE,
-- ROW_NUMBER() in a subquery (no QUALIFY), correlated EXISTS, no tuple comparison, unquoted identifiers.
--
-- Rule (CuratedTables: generations and fencing): per key, the staged row with the greatest (generation, pane_index) wins
-- within the staged batch; it replaces the stored row iff (s.generation, s.pane_index) >= (t.generation, t.pane_index)
-- lexicographically, and is inserted if the key is missing. Re-running it changes nothing.
--
-- Partial hours (a stream started without the previous job's state, PartialWindows): the writer stages
-- seen_whole = FALSE on a row of an hour or day starting before the end of T0's hour. Such a row is not a candidate if
-- its key has a stored row, or a staged seen-whole row, of another generation, as in the metric tables' MERGE. Unlike
-- them, nothing is recorded in pipeline_corrections_due: no replay rewrites pipeline_completeness (arrivals), the
-- lost-event audit does (bin/collab-audit --rewriteCompleteness=true, on the JDBC warehouses).
MERGE INTO pipeline_completeness AS t
USING (
  SELECT window_start, granularity, stage, events, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY window_start, granularity, stage
             ORDER BY generation DESC, pane_index DESC) AS newest_first
    FROM pipeline_completeness_stage AS staged
    WHERE staged.seen_whole
       OR (NOT EXISTS (
             SELECT 1
             FROM pipeline_completeness AS kept
             WHERE kept.window_start = staged.window_start
               AND kept.granularity = staged.granularity
               AND kept.stage = staged.stage
               AND kept.generation <> staged.generation)
           AND NOT EXISTS (
             SELECT 1
             FROM pipeline_completeness_stage AS whole
             WHERE whole.window_start = staged.window_start
               AND whole.granularity = staged.granularity
               AND whole.stage = staged.stage
               AND whole.seen_whole
               AND whole.generation <> staged.generation))
  ) AS ranked
  WHERE newest_first = 1
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.stage = s.stage
WHEN MATCHED AND (s.generation > t.generation
                  OR (s.generation = t.generation AND s.pane_index >= t.pane_index)) THEN
  UPDATE SET events = s.events, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, granularity, stage, events, generation, pane_index)
  VALUES (s.window_start, s.granularity, s.stage, s.events, s.generation, s.pane_index);

-- Staged rows the curated table now holds or has superseded, and partial rows it keeps out (a stored row of another
-- generation). Rows staged while the MERGE ran with a newer pane are kept for the next run, so clearing never loses a
-- row.
DELETE FROM pipeline_completeness_stage
WHERE EXISTS (
  SELECT 1
  FROM pipeline_completeness AS t
  WHERE t.window_start = pipeline_completeness_stage.window_start
    AND t.granularity = pipeline_completeness_stage.granularity
    AND t.stage = pipeline_completeness_stage.stage
    AND (t.generation > pipeline_completeness_stage.generation
         OR (t.generation = pipeline_completeness_stage.generation AND t.pane_index >= pipeline_completeness_stage.pane_index)
         OR (NOT pipeline_completeness_stage.seen_whole AND t.generation <> pipeline_completeness_stage.generation)));
