-- The commit of a raw replay into Snowflake: replaces the windows of its date range in the three metric tables with the
-- rows the replay staged under its generation, in ONE transaction. The same rule as JdbcReplayStaging.commitReplay on
-- DuckDB and PostgreSQL (ReplayStaging's contract):
--   * refused, nothing changed, unless the generation's log entry is running, was begun for a range that contains the
--     scope, and no stored row of the scope carries a NEWER generation (a later replay or stream holds the window);
--   * per table, the stored rows of the scope whose key the replay did not stage are deleted (stale keys), and the
--     staged rows of the scope (the newest pane per key) are written;
--   * the pipeline_corrections_due rows of the scope are deleted (the replay saw every window of its range whole);
--   * the log entry becomes committed with its row counts, and the generation's staged rows are deleted (rows outside
--     the scope belong to windows the replay saw only partly and are never written).
--
-- Bind parameters (the launcher's SnowflakeReplayStaging binds them; anyone running it by hand substitutes them):
--   :generation   the replay's generation (BIGINT)
--   :scope_start  the first window start of the scope, UTC text 'YYYY-MM-DD 00:00:00.000' (the --from date)
--   :scope_end    the window start after the scope, UTC text 'YYYY-MM-DD 00:00:00.000' (the day after --to)
-- The window columns are TIMESTAMP_NTZ holding UTC, so comparing them with the UTC text cast to TIMESTAMP involves no
-- session time zone.
--
-- How the refusal works in SQL alone: statement 1 turns the entry from running into committing only if every
-- condition holds; every later statement acts only while the entry is committing, and the last ones turn it into
-- committed. So the decision is taken once, a refused commit changes nothing, and running the file again after it
-- committed (the entry is committed, the stage empty) changes nothing either. 'committing' is never visible outside
-- the transaction. The runner checks statement 1's update count and rolls back (with the reason) if it is 0.
--
-- Portable SQL only (Snowflake, PostgreSQL 15+, DuckDB 1.4+), as in the merge files: MERGE, ROW_NUMBER() in a
-- subquery, correlated EXISTS, CAST, INTERVAL constants, CURRENT_TIMESTAMP without parentheses.

BEGIN;

-- 1. Decide: running, begun for a range containing the scope, and no newer generation in the scope.
UPDATE pipeline_generations
SET status = 'committing'
WHERE generation = :generation
  AND status = 'running'
  AND range_from IS NOT NULL
  AND CAST(range_from AS TIMESTAMP) <= CAST(:scope_start AS TIMESTAMP)
  AND CAST(range_to AS TIMESTAMP) + INTERVAL '1 DAY' >= CAST(:scope_end AS TIMESTAMP)
  AND NOT EXISTS (
    SELECT 1 FROM active_editors AS newer
    WHERE newer.window_start >= CAST(:scope_start AS TIMESTAMP) AND newer.window_start < CAST(:scope_end AS TIMESTAMP) AND newer.generation > :generation)
  AND NOT EXISTS (
    SELECT 1 FROM task_update_velocity AS newer
    WHERE newer.window_start >= CAST(:scope_start AS TIMESTAMP) AND newer.window_start < CAST(:scope_end AS TIMESTAMP) AND newer.generation > :generation)
  AND NOT EXISTS (
    SELECT 1 FROM notification_fanout AS newer
    WHERE newer.window_start >= CAST(:scope_start AS TIMESTAMP) AND newer.window_start < CAST(:scope_end AS TIMESTAMP) AND newer.generation > :generation);

-- 2. active_editors: delete the stored rows of the scope whose key the replay did not stage.
DELETE FROM active_editors
WHERE window_start >= CAST(:scope_start AS TIMESTAMP) AND window_start < CAST(:scope_end AS TIMESTAMP)
  AND generation <= :generation
  AND NOT EXISTS (
    SELECT 1 FROM active_editors_replay_stage AS s
    WHERE s.generation = :generation AND s.window_start = active_editors.window_start AND s.granularity = active_editors.granularity AND s.workspace_gid = active_editors.workspace_gid)
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing');

-- 3. active_editors: write the staged rows of the scope, the newest pane per key.
MERGE INTO active_editors AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, active_editors, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (PARTITION BY window_start, granularity, workspace_gid ORDER BY pane_index DESC) AS newest_first
    FROM active_editors_replay_stage AS staged
    WHERE staged.generation = :generation AND staged.window_start >= CAST(:scope_start AS TIMESTAMP) AND staged.window_start < CAST(:scope_end AS TIMESTAMP)
  ) AS ranked
  WHERE newest_first = 1
    AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing')
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid
WHEN MATCHED AND t.generation <= s.generation THEN
  UPDATE SET window_end = s.window_end, active_editors = s.active_editors, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, active_editors, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.active_editors, s.generation, s.pane_index);

-- 4. task_update_velocity: delete the stored rows of the scope whose key the replay did not stage.
DELETE FROM task_update_velocity
WHERE window_start >= CAST(:scope_start AS TIMESTAMP) AND window_start < CAST(:scope_end AS TIMESTAMP)
  AND generation <= :generation
  AND NOT EXISTS (
    SELECT 1 FROM task_update_velocity_replay_stage AS s
    WHERE s.generation = :generation AND s.window_start = task_update_velocity.window_start AND s.granularity = task_update_velocity.granularity AND s.workspace_gid = task_update_velocity.workspace_gid)
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing');

-- 5. task_update_velocity: write the staged rows of the scope, the newest pane per key.
MERGE INTO task_update_velocity AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, task_updates, tasks_touched, tasks_completed, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (PARTITION BY window_start, granularity, workspace_gid ORDER BY pane_index DESC) AS newest_first
    FROM task_update_velocity_replay_stage AS staged
    WHERE staged.generation = :generation AND staged.window_start >= CAST(:scope_start AS TIMESTAMP) AND staged.window_start < CAST(:scope_end AS TIMESTAMP)
  ) AS ranked
  WHERE newest_first = 1
    AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing')
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid
WHEN MATCHED AND t.generation <= s.generation THEN
  UPDATE SET window_end = s.window_end, task_updates = s.task_updates, tasks_touched = s.tasks_touched, tasks_completed = s.tasks_completed, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, task_updates, tasks_touched, tasks_completed, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.task_updates, s.tasks_touched, s.tasks_completed, s.generation, s.pane_index);

-- 6. notification_fanout: delete the stored rows of the scope whose key the replay did not stage.
DELETE FROM notification_fanout
WHERE window_start >= CAST(:scope_start AS TIMESTAMP) AND window_start < CAST(:scope_end AS TIMESTAMP)
  AND generation <= :generation
  AND NOT EXISTS (
    SELECT 1 FROM notification_fanout_replay_stage AS s
    WHERE s.generation = :generation AND s.window_start = notification_fanout.window_start AND s.granularity = notification_fanout.granularity AND s.workspace_gid = notification_fanout.workspace_gid AND s.trigger_event_type = notification_fanout.trigger_event_type)
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing');

-- 7. notification_fanout: write the staged rows of the scope, the newest pane per key.
MERGE INTO notification_fanout AS t
USING (
  SELECT window_start, window_end, granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max, generation, pane_index
  FROM (
    SELECT staged.*,
           ROW_NUMBER() OVER (PARTITION BY window_start, granularity, workspace_gid, trigger_event_type ORDER BY pane_index DESC) AS newest_first
    FROM notification_fanout_replay_stage AS staged
    WHERE staged.generation = :generation AND staged.window_start >= CAST(:scope_start AS TIMESTAMP) AND staged.window_start < CAST(:scope_end AS TIMESTAMP)
  ) AS ranked
  WHERE newest_first = 1
    AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing')
) AS s
ON t.window_start = s.window_start AND t.granularity = s.granularity AND t.workspace_gid = s.workspace_gid AND t.trigger_event_type = s.trigger_event_type
WHEN MATCHED AND t.generation <= s.generation THEN
  UPDATE SET window_end = s.window_end, trigger_events = s.trigger_events, notifications = s.notifications, fanout_avg = s.fanout_avg, fanout_max = s.fanout_max, generation = s.generation, pane_index = s.pane_index
WHEN NOT MATCHED THEN
  INSERT (window_start, window_end, granularity, workspace_gid, trigger_event_type, trigger_events, notifications, fanout_avg, fanout_max, generation, pane_index)
  VALUES (s.window_start, s.window_end, s.granularity, s.workspace_gid, s.trigger_event_type, s.trigger_events, s.notifications, s.fanout_avg, s.fanout_max, s.generation, s.pane_index);

-- 8. The scope's windows are recomputed whole: none is due for correction any more.
DELETE FROM pipeline_corrections_due
WHERE window_start >= CAST(:scope_start AS TIMESTAMP) AND window_start < CAST(:scope_end AS TIMESTAMP)
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committing');

-- 9. The entry is committed, with the rows staged and the rows the scope now holds of this generation.
UPDATE pipeline_generations
SET status = 'committed',
    finished_at = CURRENT_TIMESTAMP,
    rows_staged = (SELECT COUNT(*) FROM active_editors_replay_stage AS s WHERE s.generation = :generation)
      + (SELECT COUNT(*) FROM task_update_velocity_replay_stage AS s WHERE s.generation = :generation)
      + (SELECT COUNT(*) FROM notification_fanout_replay_stage AS s WHERE s.generation = :generation),
    rows_committed = (SELECT COUNT(*) FROM active_editors AS c WHERE c.generation = :generation AND c.window_start >= CAST(:scope_start AS TIMESTAMP) AND c.window_start < CAST(:scope_end AS TIMESTAMP))
      + (SELECT COUNT(*) FROM task_update_velocity AS c WHERE c.generation = :generation AND c.window_start >= CAST(:scope_start AS TIMESTAMP) AND c.window_start < CAST(:scope_end AS TIMESTAMP))
      + (SELECT COUNT(*) FROM notification_fanout AS c WHERE c.generation = :generation AND c.window_start >= CAST(:scope_start AS TIMESTAMP) AND c.window_start < CAST(:scope_end AS TIMESTAMP))
WHERE generation = :generation AND status = 'committing';

-- 10. active_editors: the generation's staged rows are done with (in scope: written; outside: never written).
DELETE FROM active_editors_replay_stage
WHERE generation = :generation
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committed');

-- 11. task_update_velocity: the generation's staged rows are done with (in scope: written; outside: never written).
DELETE FROM task_update_velocity_replay_stage
WHERE generation = :generation
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committed');

-- 12. notification_fanout: the generation's staged rows are done with (in scope: written; outside: never written).
DELETE FROM notification_fanout_replay_stage
WHERE generation = :generation
  AND EXISTS (SELECT 1 FROM pipeline_generations AS g WHERE g.generation = :generation AND g.status = 'committed');

COMMIT;
