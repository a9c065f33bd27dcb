-- Object grants, applied last (after 04_loading.sql created the objects), by collab_owner (the owner of a managed
-- access schema grants on its objects). Role meanings: 01_account.sql.

-- Stage tables: the batch COPY and Snowpipe insert; the batch MERGE reads them and deletes the rows it merged.
-- TRUNCATE is not granted: clearing a stage table wholesale could drop rows staged after a MERGE began.
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.active_editors_stage TO ROLE collab_loader;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.task_update_velocity_stage TO ROLE collab_loader;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.notification_fanout_stage TO ROLE collab_loader;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.pipeline_completeness_stage TO ROLE collab_loader;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.pipeline_canary_stage TO ROLE collab_loader;

-- Curated tables: the batch MERGE reads, inserts and updates; the loader never deletes curated rows.
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.active_editors TO ROLE collab_loader;
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.task_update_velocity TO ROLE collab_loader;
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.notification_fanout TO ROLE collab_loader;
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.pipeline_completeness TO ROLE collab_loader;

-- The windows a stateless start could not see whole: the batch MERGE records them (reads and inserts, never deletes).
GRANT SELECT, INSERT ON TABLE collab.curated.pipeline_corrections_due TO ROLE collab_loader;

-- The freshness probe's canaries: the batch MERGE only inserts (a canary row is never replaced or deleted).
GRANT SELECT, INSERT ON TABLE collab.curated.pipeline_canary TO ROLE collab_loader;
-- The generation log: every run begins and finishes its entry (a live run into Snowflake as the loader).
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.pipeline_generations TO ROLE collab_loader;

-- Raw replays (collab_replayer): COPY into the replay stage tables, then commit_replay.sql, which deletes the range's
-- rows the replay did not produce, merges its staged rows, deletes the range's due corrections and finishes the
-- generation's entry, in one transaction. A dry run or a failed replay deletes its staged rows.
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.active_editors_replay_stage TO ROLE collab_replayer;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.task_update_velocity_replay_stage TO ROLE collab_replayer;
GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.notification_fanout_replay_stage TO ROLE collab_replayer;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE collab.curated.active_editors TO ROLE collab_replayer;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE collab.curated.task_update_velocity TO ROLE collab_replayer;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE collab.curated.notification_fanout TO ROLE collab_replayer;
GRANT SELECT, DELETE ON TABLE collab.curated.pipeline_corrections_due TO ROLE collab_replayer;
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.pipeline_generations TO ROLE collab_replayer;

-- Snowpipe REST (streaming): insertFiles needs OPERATE on the pipe, and reading its load history needs MONITOR.
GRANT OPERATE, MONITOR ON PIPE collab.curated.active_editors_stage_pipe TO ROLE collab_loader;
GRANT OPERATE, MONITOR ON PIPE collab.curated.task_update_velocity_stage_pipe TO ROLE collab_loader;
GRANT OPERATE, MONITOR ON PIPE collab.curated.notification_fanout_stage_pipe TO ROLE collab_loader;
GRANT OPERATE, MONITOR ON PIPE collab.curated.pipeline_completeness_stage_pipe TO ROLE collab_loader;
GRANT OPERATE, MONITOR ON PIPE collab.curated.pipeline_canary_stage_pipe TO ROLE collab_loader;

-- Readers: the curated tables, the merge audit trail, the corrections due and the generation log, nothing else.
GRANT SELECT ON TABLE collab.curated.active_editors TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.task_update_velocity TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.notification_fanout TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.pipeline_completeness TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.curated_merge_runs TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.pipeline_corrections_due TO ROLE collab_reader;

-- The freshness probe (bin/collab-canary, role collab_probe of 01_account.sql): reads the job's canaries and records
-- its measurements, nothing else. Readers see both tables (the report's freshness chart reads pipeline_freshness).
GRANT SELECT ON TABLE collab.curated.pipeline_canary TO ROLE collab_probe;
GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.pipeline_freshness TO ROLE collab_probe;
GRANT SELECT ON TABLE collab.curated.pipeline_canary TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.pipeline_freshness TO ROLE collab_reader;
GRANT SELECT ON TABLE collab.curated.pipeline_generations TO ROLE collab_reader;

-- The lost-event audit (bin/collab-audit, run with the job's connection options and role) stores its reports; the
-- exporter (as a reader) reads the newest.
GRANT SELECT, INSERT ON TABLE collab.curated.pipeline_audit TO ROLE collab_loader;
GRANT SELECT ON TABLE collab.curated.pipeline_audit TO ROLE collab_reader;
