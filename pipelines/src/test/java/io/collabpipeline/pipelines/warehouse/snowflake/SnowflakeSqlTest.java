package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.Test;

/**
 * The Snowflake SQL files against the one definition of the tables, {@link CuratedTable}: each file
 * parses as a sequence of statements, the curated and stage tables have exactly its columns (in
 * order, with matching types and keys) plus the fencing columns, and every table has its pipe,
 * stream, tasks, grants and MERGE. A column added to {@code CuratedTable} without the DDL fails
 * here.
 */
public class SnowflakeSqlTest {
  private static final List<String> FENCING =
      List.of(SnowflakeSql.GENERATION_COLUMN, SnowflakeSql.PANE_INDEX_COLUMN);

  private static List<String> expectedColumns(CuratedTable t) {
    List<String> names =
        t.columns().stream().map(CuratedTable.Column::name).collect(Collectors.toList());
    names.addAll(FENCING);
    return names;
  }

  private static List<String> expectedTypes(CuratedTable t) {
    List<String> types = new ArrayList<>();
    for (CuratedTable.Column c : t.columns()) {
      switch (c.type()) {
        case TIMESTAMP:
          types.add("TIMESTAMP_NTZ(3)");
          break;
        case STRING:
          types.add("VARCHAR");
          break;
        case DOUBLE:
          types.add("FLOAT");
          break;
        default:
          types.add("BIGINT");
      }
    }
    types.add("BIGINT");
    types.add("BIGINT");
    return types;
  }

  private static String oneLine(String sql) {
    return sql.replaceAll("\\s+", " ");
  }

  @Test
  public void everySqlFileParsesAsStatementsOfKnownKindsWithBalancedParentheses() {
    List<String> files = new ArrayList<>(SnowflakeSql.DDL_FILES);
    files.add(SnowflakeSql.COMMIT_REPLAY_FILE);
    for (CuratedTable t : CuratedTable.values()) {
      files.add(SnowflakeSql.mergeFile(t));
    }
    files.add(SnowflakeSql.mergeFile(SnowflakeSql.CANARY_TABLE));
    for (String file : files) {
      List<String> statements = SnowflakeSql.statements(SnowflakeSql.resource(file));
      assertThat(file + " has statements", statements.isEmpty(), is(false));
      for (String s : statements) {
        assertThat(
            file,
            oneLine(s),
            matchesPattern(
                "(?i)^(CREATE|ALTER|GRANT|REVOKE|MERGE|DELETE|SELECT|INSERT|UPDATE) .*|BEGIN|COMMIT"));
        int depth = 0;
        for (char c : s.replaceAll("'([^']|'')*'", "''").toCharArray()) {
          depth += c == '(' ? 1 : c == ')' ? -1 : 0;
          assertThat(file + ": " + s, depth >= 0, is(true));
        }
        assertThat(file + ": " + s, depth, is(0));
      }
    }
  }

  @Test
  public void theCuratedTablesHaveExactlyTheColumnsTypesAndKeysOfCuratedTablePlusFencing() {
    Map<String, DdlTables.Table> ddl = DdlTables.of("02_curated_tables.sql");
    List<String> expectedNames = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      expectedNames.add(t.tableName());
      DdlTables.Table table = ddl.get(t.tableName());
      assertThat("02_curated_tables.sql creates " + t.tableName(), table != null, is(true));
      assertThat(t.tableName(), table.columnNames(), equalTo(expectedColumns(t)));
      assertThat(
          t.tableName(),
          table.columns.stream().map(c -> c.type).collect(Collectors.toList()),
          equalTo(expectedTypes(t)));
      assertThat(
          t.tableName() + " NOT NULL", table.columns.stream().allMatch(c -> c.notNull), is(true));
      assertThat(
          t.tableName() + " key",
          table.primaryKey,
          equalTo(
              t.keyColumns().stream().map(CuratedTable.Column::name).collect(Collectors.toList())));
    }
    // The corrections due, with the columns and key they have on DuckDB and PostgreSQL.
    expectedNames.add(SnowflakeSql.CORRECTIONS_DUE_TABLE);
    expectedNames.add("pipeline_canary");
    expectedNames.add("pipeline_freshness");
    expectedNames.add(SnowflakeSql.GENERATIONS_TABLE);
    expectedNames.add("pipeline_audit");
    assertThat(new ArrayList<>(ddl.keySet()), equalTo(expectedNames));
    DdlTables.Table due = ddl.get(SnowflakeSql.CORRECTIONS_DUE_TABLE);
    assertThat(
        due.columnNames(), contains("window_start", "granularity", "generation", "recorded_at"));
    assertThat(
        due.columns.stream().map(c -> c.type).collect(Collectors.toList()),
        contains("TIMESTAMP_NTZ(3)", "VARCHAR", "BIGINT", "TIMESTAMP_LTZ"));
    assertThat(due.primaryKey, contains("window_start", "granularity", "generation"));
  }

  @Test
  public void theCanaryTablesHaveTheColumnsOfCanaryTablesOnTheJdbcWarehouses() {
    Map<String, DdlTables.Table> ddl = DdlTables.of("02_curated_tables.sql");
    DdlTables.Table canary = ddl.get("pipeline_canary");
    assertThat(
        canary.columnNames(),
        contains("event_id", "source_partition", "occurred_at", "arrived_at", "written_at"));
    assertThat(
        canary.columns.stream().map(c -> c.type).collect(Collectors.toList()),
        contains("VARCHAR", "BIGINT", "TIMESTAMP_NTZ(3)", "TIMESTAMP_NTZ(3)", "TIMESTAMP_LTZ"));
    assertThat(canary.columns.stream().allMatch(c -> c.notNull), is(true));
    assertThat(canary.primaryKey, contains("event_id"));
    DdlTables.Table freshness = ddl.get("pipeline_freshness");
    assertThat(
        freshness.columnNames(),
        contains(
            "event_id", "topic", "source_partition", "published_at", "queryable_at", "latency_ms"));
    assertThat(
        freshness.columns.stream().map(c -> c.notNull).collect(Collectors.toList()),
        contains(true, true, true, true, false, false));
    assertThat(freshness.primaryKey, contains("event_id"));

    DdlTables.Table stage = DdlTables.of("03_stage_tables.sql").get("pipeline_canary_stage");
    assertThat(stage.columnNames(), equalTo(WriteSnowflakeCanaries.CSV_COLUMNS));
    assertThat(stage.primaryKey, hasSize(0));
  }

  @Test
  public void theCanaryTableHasItsPipeStreamTasksGrantsAndAnInsertOnceMerge() {
    String loading =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("04_loading.sql"))));
    String grants =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("05_grants.sql"))));
    String account =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("01_account.sql"))));
    assertThat(
        loading,
        containsString("CREATE PIPE IF NOT EXISTS pipeline_canary_stage_pipe AUTO_INGEST = FALSE"));
    assertThat(
        loading,
        containsString(
            "COPY INTO pipeline_canary_stage FROM @collab_curated_staging/pipeline_canary/ "));
    assertThat(
        loading,
        containsString(
            "CREATE STREAM IF NOT EXISTS pipeline_canary_stage_changes ON TABLE"
                + " pipeline_canary_stage APPEND_ONLY = TRUE"));
    assertThat(
        loading, containsString("WHEN SYSTEM$STREAM_HAS_DATA('pipeline_canary_stage_changes')"));
    assertThat(
        loading,
        containsString(
            "AFTER merge_pipeline_canary AS EXECUTE IMMEDIATE FROM"
                + " '@collab_sql/merge/merge_pipeline_canary.sql'"));
    assertThat(loading, containsString("SYSTEM$TASK_DEPENDENTS_ENABLE('merge_pipeline_canary')"));
    assertThat(
        grants,
        containsString(
            "GRANT SELECT, INSERT, DELETE ON TABLE collab.curated.pipeline_canary_stage TO ROLE"
                + " collab_loader"));
    // The loader only inserts canaries: never updates or deletes one.
    assertThat(
        grants,
        containsString(
            "GRANT SELECT, INSERT ON TABLE collab.curated.pipeline_canary TO ROLE collab_loader"));
    assertThat(
        grants,
        containsString("ON PIPE collab.curated.pipeline_canary_stage_pipe TO ROLE collab_loader"));
    assertThat(
        grants,
        containsString(
            "GRANT SELECT ON TABLE collab.curated.pipeline_canary TO ROLE collab_probe"));
    assertThat(
        grants,
        containsString(
            "GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated.pipeline_freshness TO ROLE"
                + " collab_probe"));
    assertThat(account, containsString("CREATE ROLE IF NOT EXISTS collab_probe"));
    assertThat(
        account, containsString("GRANT USAGE ON SCHEMA collab.curated TO ROLE collab_probe"));

    List<String> statements = SnowflakeSql.mergeStatements(SnowflakeSql.CANARY_TABLE);
    assertThat(
        statements.stream()
            .map(sql -> SnowflakeSql.stepOf(SnowflakeSql.CANARY_TABLE, sql))
            .collect(Collectors.toList()),
        contains(SnowflakeSql.MergeStep.MERGE, SnowflakeSql.MergeStep.CLEAR));
    String merge = oneLine(statements.get(0));
    assertThat(merge, containsString("MERGE INTO pipeline_canary AS t"));
    assertThat(merge, containsString("ON t.event_id = s.event_id WHEN NOT MATCHED THEN INSERT"));
    assertThat("insert once: never an update", merge, not(containsString("WHEN MATCHED")));
    assertThat(merge, containsString("CURRENT_TIMESTAMP)"));
    assertThat(merge.toUpperCase(Locale.ROOT), not(containsString("QUALIFY")));
    assertThat(
        oneLine(statements.get(1)),
        containsString("DELETE FROM pipeline_canary_stage WHERE EXISTS"));
    assertThat(
        SnowflakeSql.targetOfStageTable("COLLAB.CURATED.PIPELINE_CANARY_STAGE"),
        is(SnowflakeSql.CANARY_TABLE));
    assertThat(
        SnowflakeSql.targetOfStageTable("active_editors_stage"),
        is(CuratedTable.ACTIVE_EDITORS.tableName()));
  }

  @Test
  public void theGenerationLogHasTheColumnsOfTheJdbcWarehouses() {
    DdlTables.Table log = DdlTables.of("02_curated_tables.sql").get(SnowflakeSql.GENERATIONS_TABLE);
    assertThat(
        log.columnNames(),
        contains(
            "generation",
            "kind",
            "range_from",
            "range_to",
            "status",
            "started_at",
            "finished_at",
            "rows_staged",
            "rows_committed",
            "seen_whole_from"));
    assertThat(log.primaryKey, contains("generation"));
  }

  @Test
  public void theReplayStageTablesHaveTheLiveStageColumnsForTheReplayedTablesOnly() {
    Map<String, DdlTables.Table> ddl = DdlTables.of("03_stage_tables.sql");
    String grants =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("05_grants.sql"))));
    for (CuratedTable t : CuratedTable.values()) {
      DdlTables.Table replay = ddl.get(SnowflakeSql.replayStageTable(t));
      if (!ReplayScope.isReplayed(t)) {
        assertThat(t + " has no replay stage", replay == null, is(true));
        continue;
      }
      DdlTables.Table live = ddl.get(SnowflakeSql.stageTable(t));
      assertThat(replay.name, replay.columnNames(), equalTo(live.columnNames()));
      assertThat(
          replay.name,
          replay.columns.stream().map(c -> c.type).collect(Collectors.toList()),
          equalTo(live.columns.stream().map(c -> c.type).collect(Collectors.toList())));
      assertThat(
          grants,
          containsString(
              "GRANT SELECT, INSERT, DELETE ON TABLE collab.curated."
                  + replay.name
                  + " TO ROLE collab_replayer"));
      assertThat(
          grants,
          containsString(
              "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE collab.curated."
                  + t.tableName()
                  + " TO ROLE collab_replayer"));
      assertThat(grants, not(containsString(replay.name + " TO ROLE collab_loader")));
    }
    assertThat(
        grants,
        not(containsString("DELETE ON TABLE collab.curated.active_editors TO ROLE collab_loader")));
  }

  @Test
  public void theCommitScriptRunsFromBeginToCommitWithItsThreeParametersOnly() {
    List<SnowflakeSql.Bound> statements = SnowflakeSql.commitReplayStatements();
    java.util.Set<String> used = new java.util.TreeSet<>();
    for (SnowflakeSql.Bound b : statements.subList(1, statements.size() - 1)) {
      assertThat(
          oneLine(b.sql),
          matchesPattern("(?i)^(UPDATE pipeline_generations|DELETE FROM|MERGE INTO) .*"));
      assertThat(b.sql, not(containsString(":")));
      used.addAll(b.parameters);
    }
    assertThat(new ArrayList<>(used), contains("generation", "scope_end", "scope_start"));
    assertThat(
        "the first statement decides",
        oneLine(statements.get(1).sql),
        containsString("UPDATE pipeline_generations SET status = 'committing'"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SnowflakeSql.bind(
                "DELETE FROM x WHERE g = :gen", SnowflakeSql.COMMIT_REPLAY_PARAMETERS));
  }

  @Test
  public void theStageTablesHaveTheCuratedColumnsInTheOrderTheCsvMapperWrites() {
    Map<String, DdlTables.Table> ddl = DdlTables.of("03_stage_tables.sql");
    for (CuratedTable t : CuratedTable.values()) {
      DdlTables.Table stage = ddl.get(SnowflakeSql.stageTable(t));
      assertThat(
          "03_stage_tables.sql creates " + SnowflakeSql.stageTable(t), stage != null, is(true));
      List<String> columns = expectedColumns(t);
      columns.add(SnowflakeSql.SEEN_WHOLE_COLUMN);
      List<String> types = expectedTypes(t);
      types.add("BOOLEAN");
      assertThat(stage.name, stage.columnNames(), equalTo(columns));
      assertThat(
          stage.name,
          stage.columns.stream().map(c -> c.type).collect(Collectors.toList()),
          equalTo(types));
      assertThat(
          stage.name + " NOT NULL", stage.columns.stream().allMatch(c -> c.notNull), is(true));
      assertThat(stage.name + " has no key", stage.primaryKey, hasSize(0));
    }
  }

  @Test
  public void everyTableHasItsPipeStreamTasksAndGrants() {
    String loading =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("04_loading.sql"))));
    String grants =
        oneLine(
            String.join(";\n", SnowflakeSql.statements(SnowflakeSql.resource("05_grants.sql"))));
    for (CuratedTable t : CuratedTable.values()) {
      String name = t.tableName();
      String stage = SnowflakeSql.stageTable(t);
      String pipe = WriteSnowflakeCurated.snowPipeName(SnowflakeSql.DEFAULT_SNOW_PIPE_TEMPLATE, t);
      assertThat(
          loading, containsString("CREATE PIPE IF NOT EXISTS " + pipe + " AUTO_INGEST = FALSE"));
      assertThat(
          loading,
          containsString("COPY INTO " + stage + " FROM @collab_curated_staging/" + name + "/ "));
      assertThat(
          loading,
          containsString(
              "CREATE STREAM IF NOT EXISTS "
                  + stage
                  + "_changes ON TABLE "
                  + stage
                  + " APPEND_ONLY = TRUE"));
      assertThat(loading, containsString("WHEN SYSTEM$STREAM_HAS_DATA('" + stage + "_changes')"));
      assertThat(loading, containsString("FROM " + stage + "_changes"));
      assertThat(
          loading,
          containsString(
              "AFTER merge_"
                  + name
                  + " AS EXECUTE IMMEDIATE FROM '@collab_sql/merge/"
                  + SnowflakeSql.mergeFile(t)
                  + "'"));
      assertThat(loading, containsString("SYSTEM$TASK_DEPENDENTS_ENABLE('merge_" + name + "')"));
      assertThat(
          grants, containsString("ON TABLE collab.curated." + stage + " TO ROLE collab_loader"));
      assertThat(
          grants,
          containsString(
              "GRANT SELECT, INSERT, UPDATE ON TABLE collab.curated."
                  + name
                  + " TO ROLE collab_loader"));
      assertThat(
          grants, containsString("ON PIPE collab.curated." + pipe + " TO ROLE collab_loader"));
      assertThat(
          grants,
          containsString(
              "GRANT SELECT ON TABLE collab.curated." + name + " TO ROLE collab_reader"));
      assertThat(
          grants,
          not(containsString("ON TABLE collab.curated." + stage + " TO ROLE collab_reader")));
    }
    assertThat(
        grants,
        containsString(
            "GRANT SELECT, INSERT ON TABLE collab.curated.pipeline_corrections_due TO ROLE collab_loader"));
    assertThat(
        grants,
        containsString(
            "GRANT SELECT ON TABLE collab.curated.pipeline_corrections_due TO ROLE collab_reader"));
  }

  @Test
  public void everyMergeFileNamesTheKeyAndEveryColumnOfItsTable() {
    for (CuratedTable t : CuratedTable.values()) {
      List<String> statements = SnowflakeSql.mergeStatements(t);
      List<SnowflakeSql.MergeStep> steps =
          statements.stream().map(sql -> SnowflakeSql.stepOf(t, sql)).collect(Collectors.toList());
      boolean metric = t != CuratedTable.PIPELINE_COMPLETENESS;
      // Metric tables record their partial windows first; completeness is fenced, never recorded.
      assertThat(
          SnowflakeSql.mergeFile(t),
          steps,
          equalTo(
              metric
                  ? List.of(
                      SnowflakeSql.MergeStep.RECORD_DUE,
                      SnowflakeSql.MergeStep.MERGE,
                      SnowflakeSql.MergeStep.CLEAR)
                  : List.of(SnowflakeSql.MergeStep.MERGE, SnowflakeSql.MergeStep.CLEAR)));
      if (metric) {
        String record = oneLine(statements.get(0));
        assertThat(
            record,
            containsString(
                "SELECT DISTINCT window_start, granularity, generation FROM "
                    + SnowflakeSql.stageTable(t)
                    + " WHERE NOT seen_whole"));
        assertThat(record, containsString("WHEN NOT MATCHED THEN INSERT"));
        assertThat(record, not(containsString("WHEN MATCHED")));
      }
      String merge = oneLine(statements.get(steps.indexOf(SnowflakeSql.MergeStep.MERGE)));
      assertThat(merge, containsString("WHERE staged.seen_whole OR (NOT EXISTS"));
      String keys =
          t.keyColumns().stream().map(CuratedTable.Column::name).collect(Collectors.joining(", "));
      assertThat(merge, containsString("MERGE INTO " + t.tableName() + " AS t"));
      assertThat(merge, containsString("FROM " + SnowflakeSql.stageTable(t) + " AS staged"));
      assertThat(
          merge,
          containsString("PARTITION BY " + keys + " ORDER BY generation DESC, pane_index DESC"));
      assertThat(
          merge,
          containsString(
              "ON "
                  + t.keyColumns().stream()
                      .map(c -> "t." + c.name() + " = s." + c.name())
                      .collect(Collectors.joining(" AND "))
                  + " WHEN"));
      assertThat(merge, containsString("INSERT (" + String.join(", ", expectedColumns(t)) + ")"));
      List<String> updated = new ArrayList<>();
      for (String c : expectedColumns(t)) {
        if (t.keyColumns().stream().noneMatch(k -> k.name().equals(c))) {
          updated.add(c + " = s." + c);
        }
      }
      assertThat(
          merge, containsString("UPDATE SET " + String.join(", ", updated) + " WHEN NOT MATCHED"));
      // Only SQL shared by Snowflake, PostgreSQL and DuckDB.
      assertThat(merge.toUpperCase(Locale.ROOT), not(containsString("QUALIFY")));
      assertThat(merge.toUpperCase(Locale.ROOT), not(containsString("IFF(")));
      String clear = oneLine(statements.get(statements.size() - 1));
      assertThat(
          clear, containsString("DELETE FROM " + SnowflakeSql.stageTable(t) + " WHERE EXISTS"));
      // A partial staged row leaves only once its window is recorded (metric tables).
      assertThat(
          clear,
          metric
              ? containsString("FROM pipeline_corrections_due AS d")
              : not(containsString("pipeline_corrections_due")));
    }
  }

  @Test
  public void stageTableNamesMapBackToTheirCuratedTable() {
    for (CuratedTable t : CuratedTable.values()) {
      assertThat(SnowflakeSql.ofStageTable(SnowflakeSql.stageTable(t)), is(t));
      assertThat(
          SnowflakeSql.ofStageTable(
              "COLLAB.CURATED." + SnowflakeSql.stageTable(t).toUpperCase(Locale.ROOT)),
          is(t));
    }
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.ofStageTable("active_editors"));
  }

  @Test
  public void theSplitterKeepsQuotedSemicolonsAndDollarBodiesAndDropsComments() {
    List<String> s =
        SnowflakeSql.statements(
            "-- a comment; with a semicolon\nSELECT 'a;b', \"x;y\" FROM t; /* c; */ CREATE TASK x AS $$ BEGIN a; b; END $$;\n"
                + "SELECT 'it''s';");
    assertThat(
        s,
        contains(
            "SELECT 'a;b', \"x;y\" FROM t",
            "CREATE TASK x AS $$ BEGIN a; b; END $$",
            "SELECT 'it''s'"));
  }

  @Test
  public void theSplitterRejectsAnUnterminatedStatementOrString() {
    assertThrows(
        IllegalArgumentException.class, () -> SnowflakeSql.statements("SELECT 1; SELECT 2"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.statements("SELECT 'oops;"));
    assertThrows(IllegalArgumentException.class, () -> SnowflakeSql.statements("SELECT $$ a; "));
  }
}
