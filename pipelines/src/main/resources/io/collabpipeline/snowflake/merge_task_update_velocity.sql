-- The staged rows of task_update_velocity into the curated table: record the windows a stateless start could not see whole,
-- MERGE, then remove the staged rows the table covers.
-- One text for every engine: WriteSnowflakeCurated runs it after the batch COPY, the merge_task_update_velocity TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_task_update_velocity.sql, 04_loading.sql) after Snowpipe loads, and the offline tests
-- run it on PostgreSQL. So it uses only SQL that Snowflake, PostgreSQL (15+) and DuckDB (1.4+) share: MERGE,
-- ROW_NUMBER() in a subquery (no QUALIFY), correlated EXISTS, CURRENT_TIMESTAMP without parentheses, no tuple
-- comparison, unquoted identifiers.
--
-- Rule (CuratedTables: generations and fencing): per key, the staged row with the greatest (generation, pane_index) wins
-- within the staged batch; it replaces the stored row iff (s.generation, s.pane_index) >= (t.generation, t.pane_index)
-- lexicographically, and is inserted if the key is missing. Re-running it changes nothing.
--
-- Partial windows (a stream started without the previous job's state, PartialWindows): the writer stages
-- seen_whole = FALSE on a row of a window starting before its bound. Such a row is not a candidate if its key has a
-- stored row, or a staged seen-whole row, of another generation: a partial count replaces only its own generation's
-- row or fills a missing key, never a fuller count of another job. Its window is recorded in
-- pipeline_corrections_due first, whether or not the row is merged.

-- 1. The windows of partial staged rows, once per (window_start, granularity, generation).
MERGE INTO pipeline_corrections_due AS d
USING (
  SELECT DISTINCT window_start, granularity, generation
  FROM task_update_velocity_stage
  WHERE NOT seen_whole
) AS p
ON d.window_start = p.window_start AND d.granularity = p.granularity AND d.generation = p.generation
WHEN NOT MATCHED THEN
  INSERT (window_start, granularity, generation, recorded_at)
  VALUES (p.window_start, p.granularity, p.generation, CURRENT_TIMESTAMP);

-- 2. The fenced MERGE of the candidates.
MERGE INTO task_update_velocity AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, task_updates, tasks_touched, tasks_completed, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY window_start, granularity, workspace_gid
             ORDER BY generation DESC, pane_index DESC) AS newest_first
    FROM task_update_velocity_stage AS staged
    WHERE staged.seen_whole
       OR (NOT EXISTS (
             SELECT 1
             FROM task_update_velocity AS kept
             WHERE kept.window_start = staged.window_start
               AND kept.granularity = staged.granularity
               AND kept.workspace_gid = staged.workspace_gid
               AND kept.generation <> staged.generation)
           AND NOT EXISTS (
             SELECT 1
             FROM task_update_velocity_stage AS whole
             WHERE whole.window_start = staged.window_start
               AND whole.granularity = staged.granularity
               AND whole.workspace_gid = staged.workspace_gid
               AND whole.seen_whole
               AND whole.generation <> staged.generation))
  ) AS ranked
  WHERE newest_first = 1
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid
WHEN MATCHED AND (s.generation > t.generation
                  OR (s.generation = t.generation AND s.pane_index >= t.pane_index)) THEN
  UPDATE SET window_end = s.window_end, task_updates = s.task_updates, tasks_touched = s.tasks_touched, tasks_completed = s.tasks_completed, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, task_updates, tasks_touched, tasks_completed, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.task_updates, s.tasks_touched, s.tasks_completed, s.generation, s.pane_index);

-- 3. Staged rows the curated table now holds or has superseded, and partial rows it keeps out (a stored row of another
-- generation). A partial row goes only once its window is recorded, so a row Snowpipe lands after step 1 waits for the
-- next run; and rows staged while the MERGE ran with a newer pane are kept too: clearing never loses a row.
DELETE FROM task_update_velocity_stage
WHERE EXISTS (
  SELECT 1
  FROM task_update_velocity AS t
  WHERE t.window_start = task_update_velocity_stage.window_start
    AND t.granularity = task_update_velocity_stage.granularity
    AND t.workspace_gid = task_update_velocity_stage.workspace_gid
    AND (t.generation > task_update_velocity_stage.generation
         OR (t.generation = task_update_velocity_stage.generation AND t.pane_index >= task_update_velocity_stage.pane_index)
         OR (NOT task_update_velocity_stage.seen_whole AND t.generation <> task_update_velocity_stage.generation)))
  AND (task_update_velocity_stage.seen_whole
       OR EXISTS (
         SELECT 1
         FROM pipeline_corrections_due AS d
         WHERE d.window_start = task_update_velocity_stage.window_start
           AND d.granularity = task_update_velocity_stage.granularity
           AND d.generation = task_update_velocity_stage.generation));
