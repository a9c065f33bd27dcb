-- MERGE of the staged rows of active_editors into the curated table, then removal of the staged rows it covers.
-- One text for every engine: WriteSnowflakeCurated runs it after the batch COPY, the merge_active_editors TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_active_editors.sql, 04_loading.sql) after Snowpipe loads, and the offline tests
-- run it on PostgreSQL. So it uses only SQL that Snowflake, PostgreSQL (15+) and DuckDB (1.4+) share: MERGE,
-- ROW_NUMBER() in a subquery (no QUALIFY), no tuple comparison, unquoted identifiers.
--
-- Rule (design34, generations and fencing): per key, the staged row with the greatest (generation, pane_index) wins
-- within the staged batch; it replaces the stored row iff (s.generation, s.pane_index) >= (t.generation, t.pane_index)
-- lexicographically, and is inserted if the key is missing. Re-running it changes nothing.
MERGE INTO active_editors AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, active_editors, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY window_start, granularity, workspace_gid
             ORDER BY generation DESC, pane_index DESC) AS newest_first
    FROM active_editors_stage AS staged
  ) AS ranked
  WHERE newest_first = 1
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid
WHEN MATCHED AND (s.generation > t.generation
                  OR (s.generation = t.generation AND s.pane_index >= t.pane_index)) THEN
  UPDATE SET window_end = s.window_end, active_editors = s.active_editors, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, active_editors, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.active_editors, s.generation, s.pane_index);

-- Staged rows the curated table now holds or has superseded. Rows staged while the MERGE ran with a newer pane are
-- kept for the next run, so clearing never loses a row.
DELETE FROM active_editors_stage
WHERE EXISTS (
  SELECT 1
  FROM active_editors AS t
  WHERE t.window_start = active_editors_stage.window_start
    AND t.granularity = active_editors_stage.granularity
    AND t.workspace_gid = active_editors_stage.workspace_gid
    AND (t.generation > active_editors_stage.generation
         OR (t.generation = active_editors_stage.generation AND t.pane_index >= active_editors_stage.pane_index)));
