package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.warehouse.CanaryTables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The Snowflake SQL of the curated sink, as it lives in the repository under {@value
 * #RESOURCE_DIR}: the DDL files, to be applied in {@link #DDL_FILES} order, and one MERGE file per
 * curated table. The code runs the MERGE files verbatim, and so do the Snowflake tasks (which read
 * the same files from a stage) and the offline tests (on PostgreSQL), so there is exactly one text
 * of the merge rule.
 *
 * <p>Naming, shared by the DDL and the code: the stage table of {@code t} is {@code t_stage}, its
 * Snowpipe {@code t_stage_pipe}, and the staged files of {@code t} live under {@code <staging
 * bucket>t/}. Every curated and stage table carries, after the columns of {@link CuratedTable}, the
 * fencing columns {@value #GENERATION_COLUMN} and {@value #PANE_INDEX_COLUMN}; a stage table then
 * carries {@value #SEEN_WHOLE_COLUMN}, false on a row of a window its stream could not see whole.
 * The metric tables' MERGE files record those windows in {@value #CORRECTIONS_DUE_TABLE}.
 */
public final class SnowflakeSql {
  /** Class-path folder of the SQL files. */
  public static final String RESOURCE_DIR = "/io/collabpipeline/snowflake/";

  /** The DDL files, in the order they are applied to an account. */
  public static final List<String> DDL_FILES =
      Collections.unmodifiableList(
          Arrays.asList(
              "01_account.sql",
              "02_curated_tables.sql",
              "03_stage_tables.sql",
              "04_loading.sql",
              "05_grants.sql"));

  public static final String GENERATION_COLUMN = "generation";
  public static final String PANE_INDEX_COLUMN = "pane_index";
  public static final String SEEN_WHOLE_COLUMN = "seen_whole";
  public static final String CORRECTIONS_DUE_TABLE = "pipeline_corrections_due";
  public static final String STAGE_TABLE_SUFFIX = "_stage";

  /** The suffix of a metric table's replay stage table (03_stage_tables.sql). */
  public static final String REPLAY_STAGE_TABLE_SUFFIX = "_replay_stage";

  /** The generation log table (02_curated_tables.sql), as on the JDBC warehouses. */
  public static final String GENERATIONS_TABLE = "pipeline_generations";

  /** The commit of a raw replay, run by {@code SnowflakeReplayStaging} with its bind parameters. */
  public static final String COMMIT_REPLAY_FILE = "commit_replay.sql";

  /** The bind parameters of {@value #COMMIT_REPLAY_FILE}. */
  public static final List<String> COMMIT_REPLAY_PARAMETERS =
      List.of("generation", "scope_start", "scope_end");

  private static final java.util.regex.Pattern PARAMETER =
      java.util.regex.Pattern.compile(":([a-z_]+)\\b");

  /**
   * The default Snowpipe name template; {@value #TABLE_PLACEHOLDER} stands for the curated table's
   * name.
   */
  public static final String DEFAULT_SNOW_PIPE_TEMPLATE = "{table}_stage_pipe";

  public static final String TABLE_PLACEHOLDER = "{table}";

  private SnowflakeSql() {}

  /** The stage table that COPY and Snowpipe load for {@code table}. */
  public static String stageTable(CuratedTable table) {
    return table.tableName() + STAGE_TABLE_SUFFIX;
  }

  /** The replay stage table of a metric table, which only a replay's COPY and commit touch. */
  public static String replayStageTable(CuratedTable table) {
    return table.tableName() + REPLAY_STAGE_TABLE_SUFFIX;
  }

  /** A statement with JDBC {@code ?} markers and the names of the parameters they stand for. */
  public static final class Bound {
    public final String sql;
    public final List<String> parameters;

    Bound(String sql, List<String> parameters) {
      this.sql = sql;
      this.parameters = List.copyOf(parameters);
    }

    /** Whether this is the bare statement {@code word} (BEGIN, COMMIT). */
    public boolean is(String word) {
      return sql.trim().equalsIgnoreCase(word);
    }
  }

  /**
   * The statements of {@value #COMMIT_REPLAY_FILE} in order, {@code BEGIN} first and {@code COMMIT}
   * last, each {@code :name} replaced by {@code ?}; every name is one of {@link
   * #COMMIT_REPLAY_PARAMETERS}.
   */
  public static List<Bound> commitReplayStatements() {
    List<Bound> out = new ArrayList<>();
    for (String statement : statements(resource(COMMIT_REPLAY_FILE))) {
      out.add(bind(statement, COMMIT_REPLAY_PARAMETERS));
    }
    if (out.size() < 3 || !out.get(0).is("BEGIN") || !out.get(out.size() - 1).is("COMMIT")) {
      throw new IllegalStateException(COMMIT_REPLAY_FILE + " must run from BEGIN to COMMIT");
    }
    return out;
  }

  /** {@code statement} with each {@code :name} (one of {@code known}) replaced by {@code ?}. */
  static Bound bind(String statement, List<String> known) {
    java.util.regex.Matcher m = PARAMETER.matcher(statement);
    StringBuilder sql = new StringBuilder();
    List<String> names = new ArrayList<>();
    while (m.find()) {
      if (!known.contains(m.group(1))) {
        throw new IllegalArgumentException(
            "unknown bind parameter :" + m.group(1) + " in: " + abbreviate(statement));
      }
      names.add(m.group(1));
      m.appendReplacement(sql, "?");
    }
    m.appendTail(sql);
    return new Bound(sql.toString(), names);
  }

  /**
   * The curated table whose stage table is {@code stageTable} (case-insensitive, optionally
   * qualified).
   */
  public static CuratedTable ofStageTable(String stageTable) {
    String name =
        stageTable.substring(stageTable.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
    for (CuratedTable t : CuratedTable.values()) {
      if (stageTable(t).equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "'" + stageTable + "' is not the stage table of a curated table");
  }

  /**
   * The table the freshness probe's canaries are merged into ({@code merge_pipeline_canary.sql}),
   * staged like a curated table: stage table {@code pipeline_canary_stage}, files under {@code
   * <staging bucket>pipeline_canary/}.
   */
  public static final String CANARY_TABLE = CanaryTables.CANARY_TABLE;

  /** The name of the MERGE resource of {@code table}. */
  public static String mergeFile(CuratedTable table) {
    return mergeFile(table.tableName());
  }

  /** The name of the MERGE resource of the table named {@code tableName}. */
  static String mergeFile(String tableName) {
    return "merge_" + tableName + ".sql";
  }

  /**
   * The table that is merged from {@code stageTable} (case-insensitive, optionally qualified): a
   * curated table's name or {@link #CANARY_TABLE}.
   */
  static String targetOfStageTable(String stageTable) {
    String name =
        stageTable.substring(stageTable.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
    if (name.equals(CANARY_TABLE + STAGE_TABLE_SUFFIX)) {
      return CANARY_TABLE;
    }
    return ofStageTable(stageTable).tableName();
  }

  /**
   * The statements of the MERGE file of {@code table}, in order: for a metric table the recording
   * of its partial windows ({@link MergeStep#RECORD_DUE}), then for every table the MERGE ({@link
   * MergeStep#MERGE}) and the removal of the staged rows it covers ({@link MergeStep#CLEAR}).
   */
  public static List<String> mergeStatements(CuratedTable table) {
    return mergeStatements(table.tableName());
  }

  /**
   * The statements of the MERGE file of the table named {@code tableName} (a curated table or
   * {@link #CANARY_TABLE}, whose file has a {@link MergeStep#MERGE} and a {@link MergeStep#CLEAR}).
   */
  public static List<String> mergeStatements(String tableName) {
    return statements(resource(mergeFile(tableName)));
  }

  /** What a statement of a MERGE file does, as its counters report it. */
  public enum MergeStep {
    RECORD_DUE,
    MERGE,
    CLEAR
  }

  /** The step of {@code statement}, a statement of the MERGE file of {@code table}. */
  public static MergeStep stepOf(CuratedTable table, String statement) {
    return stepOf(table.tableName(), statement);
  }

  /**
   * The step of {@code statement}, a statement of the MERGE file of the table {@code tableName}.
   */
  public static MergeStep stepOf(String tableName, String statement) {
    String head = statement.trim().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
    if (head.startsWith("merge into " + CORRECTIONS_DUE_TABLE + " ")) {
      return MergeStep.RECORD_DUE;
    }
    if (head.startsWith("merge into " + tableName + " ")) {
      return MergeStep.MERGE;
    }
    if (head.startsWith("delete from " + tableName + STAGE_TABLE_SUFFIX + " ")) {
      return MergeStep.CLEAR;
    }
    throw new IllegalArgumentException(
        mergeFile(tableName) + " holds a statement of no known step: " + abbreviate(statement));
  }

  /** The text of a file of {@value #RESOURCE_DIR}. */
  public static String resource(String fileName) {
    try (InputStream in = SnowflakeSql.class.getResourceAsStream(RESOURCE_DIR + fileName)) {
      if (in == null) {
        throw new IllegalStateException("missing class-path resource " + RESOURCE_DIR + fileName);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE_DIR + fileName, e);
    }
  }

  /**
   * Splits a SQL script into its statements, without comments or the terminating semicolons.
   * Understands what the files use: {@code --} line comments, {@code /* *}{@code /} block comments,
   * single-quoted strings (with {@code ''} inside), double-quoted identifiers and {@code $$ ... $$}
   * bodies. Throws if the script ends inside one of them or with an unterminated statement, so a
   * malformed file fails loudly.
   */
  public static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int i = 0;
    int n = script.length();
    while (i < n) {
      char c = script.charAt(i);
      if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end;
        current.append(' ');
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated /* comment");
        }
        i = end + 2;
        current.append(' ');
      } else if (c == '\'' || c == '"') {
        int end = i + 1;
        while (true) {
          if (end >= n) {
            throw new IllegalArgumentException(
                "unterminated " + c + " quote in: " + abbreviate(current));
          }
          if (script.charAt(end) == c) {
            if (end + 1 < n && script.charAt(end + 1) == c) {
              end += 2;
              continue;
            }
            break;
          }
          end++;
        }
        current.append(script, i, end + 1);
        i = end + 1;
      } else if (c == '$' && i + 1 < n && script.charAt(i + 1) == '$') {
        int end = script.indexOf("$$", i + 2);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated $$ body in: " + abbreviate(current));
        }
        current.append(script, i, end + 2);
        i = end + 2;
      } else if (c == ';') {
        String statement = current.toString().trim();
        if (!statement.isEmpty()) {
          out.add(statement);
        }
        current.setLength(0);
        i++;
      } else {
        current.append(c);
        i++;
      }
    }
    if (!current.toString().trim().isEmpty()) {
      throw new IllegalArgumentException(
          "statement without a terminating ';': " + abbreviate(current));
    }
    return out;
  }

  private static String abbreviate(CharSequence s) {
    String t = s.toString().trim().replaceAll("\\s+", " ");
    return t.length() <= 80 ? t : t.substring(0, 80) + "...";
  }
}
