-- The staged rows of notification_fanout into the curated table: record the windows a stateless start could not see whole,
-- MERGE, then remove the staged rows the table covers.
-- One text for every engine: WriteSnowflakeCurated runs it after the batch COPY, the merge_notification_fanout TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_notification_fanout.sql, 04_loading.sql) after Snowpipe loads, and the offline tests
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
  FROM notification_fanout_stage
  WHERE NOT seen_whole
) AS p
ON d.window_start = p.window_start AND d.granularity = p.granularity AND d.generation = p.generation
WHEN NOT MATCHED THEN
  INSERT (window_start, granularity, generation, recorded_at)
  VALUES (p.window_start, p.granularity, p.generation, CURRENT_TIMESTAMP);

-- 2. The fenced MERGE of the candidates.
MERGE INTO notification_fanout AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY window_start, granularity, workspace_gid, trigger_event_type
             ORDER BY generation DESC, pane_index DESC) AS newest_first
    FROM notification_fanout_stage AS staged
    WHERE staged.seen_whole
       OR (NOT EXISTS (
             SELECT 1
             FROM notification_fanout AS kept
             WHERE kept.window_start = staged.window_start
               AND kept.granularity = staged.granularity
               AND kept.workspace_gid = staged.workspace_gid
               AND kept.trigger_event_type = staged.trigger_event_type
               AND kept.generation <> staged.generation)
           AND NOT EXISTS (
             SELECT 1
             FROM notification_fanout_stage AS whole
             WHERE whole.window_start = staged.window_start
               AND whole.granularity = staged.granularity
               AND whole.workspace_gid = staged.workspace_gid
               AND whole.trigger_event_type = staged.trigger_event_type
               AND whole.seen_whole
               AND whole.generation <> staged.generation))
  ) AS ranked
  WHERE newest_first = 1
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid AND t.trigger_event_type = s.trigger_event_type
WHEN MATCHED AND (s.generation > t.generation
                  OR (s.generation = t.generation AND s.pane_index >= t.pane_index)) THEN
  UPDATE SET window_end = s.window_end, trigger_events = s.trigger_events, notifications = s.notifications, fanout_avg = s.fanout_avg, fanout_max = s.fanout_max, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.trigger_event_type, s.trigger_events, s.notifications, s.fanout_avg, s.fanout_max, s.generation, s.pane_index);

-- 3. Staged rows the curated table now holds or has superseded, and partial rows it keeps out (a stored row of another
-- generation). A partial row goes only once its window is recorded, so a row Snowpipe lands after step 1 waits for the
-- next run; and rows staged while the MERGE ran with a newer pane are kept too: clearing never loses a row.
DELETE FROM notification_fanout_stage
WHERE EXISTS (
  SELECT 1
  FROM notification_fanout AS t
  WHERE t.window_start = notification_fanout_stage.window_start
    AND t.granularity = notification_fanout_stage.granularity
    AND t.workspace_gid = notification_fanout_stage.workspace_gid
    AND t.trigger_event_type = notification_fanout_stage.trigger_event_type
    AND (t.generation > notification_fanout_stage.generation
         OR (t.generation = notification_fanout_stage.generation AND t.pane_index >= notification_fanout_stage.pane_index)
         OR (NOT notification_fanout_stage.seen_whole AND t.generation <> notification_fanout_stage.generation)))
  AND (notification_fanout_stage.seen_whole
       OR EXISTS (
         SELECT 1
         FROM pipeline_corrections_due AS d
         WHERE d.window_start = notification_fanout_stage.window_start
           AND d.granularity = notification_fanout_stage.granularity
           AND d.generation = notification_fanout_stage.generation));
