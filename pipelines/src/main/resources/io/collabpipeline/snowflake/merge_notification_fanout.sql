-- MERGE of the staged rows of notification_fanout into the curated table, then removal of the staged rows it covers.
-- One text for every engine: WriteSnowflakeCurated runs it after the batch COPY, the merge_notification_fanout TASK runs it
-- (EXECUTE IMMEDIATE FROM @collab_sql/merge/merge_notification_fanout.sql, 04_loading.sql) after Snowpipe loads, and the offline tests
-- run it on PostgreSQL. So it uses only SQL that Snowflake, PostgreSQL (15+) and DuckDB (1.4+) share: MERGE,
-- ROW_NUMBER() in a subquery (no QUALIFY), no tuple comparison, unquoted identifiers.
--
-- Rule (design34, generations and fencing): per key, the staged row with the greatest (generation, pane_index) wins
-- within the staged batch; it replaces the stored row iff (s.generation, s.pane_index) >= (t.generation, t.pane_index)
-- lexicographically, and is inserted if the key is missing. Re-running it changes nothing.
MERGE INTO notification_fanout AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (
             PARTITION BY window_start, granularity, workspace_gid, trigger_event_type
             ORDER BY generation DESC, pane_index DESC) AS newest_first
    FROM notification_fanout_stage AS staged
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

-- Staged rows the curated table now holds or has superseded. Rows staged while the MERGE ran with a newer pane are
-- kept for the next run, so clearing never loses a row.
DELETE FROM notification_fanout_stage
WHERE EXISTS (
  SELECT 1
  FROM notification_fanout AS t
  WHERE t.window_start = notification_fanout_stage.window_start
    AND t.granularity = notification_fanout_stage.granularity
    AND t.workspace_gid = notification_fanout_stage.workspace_gid
    AND t.trigger_event_type = notification_fanout_stage.trigger_event_type
    AND (t.generation > notification_fanout_stage.generation
         OR (t.generation = notification_fanout_stage.generation AND t.pane_index >= notification_fanout_stage.pane_index)));
