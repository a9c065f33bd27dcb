package io.collabpipeline.tools.audit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.pipelines.launch.JobLauncher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 9, point 3: the main job runs on the embedded Flink over a generated workload (duplicates
 * and malformed records among it), the audit accounts for every one of its source offsets as raw,
 * quarantined or duplicate and exits 0; after one raw-store file is deleted it exits 3 and names
 * exactly that file's offsets, and the warehouse holds both reports.
 */
public class CollabAuditTest {
  static final int EVENTS = 1_500;
  static final String DAY = "2026-11-02"; // the generator's default arrival day

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void everyOffsetIsAccountedForUntilARawFileIsDeletedThenExactlyItsOffsetsAreLost()
      throws Exception {
    Path data = tmp.getRoot().toPath();
    ByteArrayOutputStream job = new ByteArrayOutputStream();
    PrintStream jobOut = new PrintStream(job, true, StandardCharsets.UTF_8);
    int exit =
        JobLauncher.runCli(
            new String[] {
              "--events=" + EVENTS, "--rawShards=4", "--dataDir=" + data, "--progressSeconds=0"
            },
            jobOut,
            jobOut);
    assertThat(job.toString(StandardCharsets.UTF_8), exit, is(0));

    Run clean = audit("--dataDir=" + data, "--from=" + DAY, "--to=" + DAY);
    assertThat(clean.out, clean.exit, is(CollabAudit.EXIT_OK));
    assertThat(clean.out, containsString("OK, every offset accounted for"));
    assertThat(clean.out, containsString("offsets 0-" + (EVENTS - 1)));

    // A raw file holding neither the first nor the last offset (the audit sees gaps between them;
    // four shards per partition and minute make several such files).
    Path victim = null;
    TreeSet<Long> victimOffsets = null;
    for (Path file : rawFiles(data.resolve("raw"))) {
      TreeSet<Long> offsets = offsets(file);
      if (!offsets.contains(0L) && !offsets.contains((long) EVENTS - 1)) {
        victim = file;
        victimOffsets = offsets;
        break;
      }
    }
    assertThat("a raw file inside the offset range", victim == null, is(false));
    Files.delete(victim);

    Run lost = audit("--dataDir=" + data, "--from=" + DAY, "--to=" + DAY);
    assertThat(lost.out, lost.exit, is(CollabAudit.EXIT_LOST));
    assertThat(lost.out, containsString("LOST " + victimOffsets.size() + " offsets"));
    assertThat(
        lostOffsetsOfLastAudit(data),
        is(victimOffsets.stream().map(String::valueOf).collect(Collectors.joining(","))));
  }

  @Test
  public void aMissingDateIsAUsageError() {
    Run run = audit("--dataDir=" + tmp.getRoot(), "--from=" + DAY);
    assertThat(run.exit, is(CollabAudit.EXIT_USAGE));
    assertThat(run.out, containsString("--to is required"));
  }

  @Test
  public void onSnowflakeTheConnectionOptionsAreRequiredAndTheCompletenessRewriteIsRefused() {
    String snowflake = "--warehouseUrl=jdbc:snowflake://acct.snowflakecomputing.com/";
    Run missing = audit("--dataDir=" + tmp.getRoot(), "--from=" + DAY, "--to=" + DAY, snowflake);
    assertThat(missing.exit, is(CollabAudit.EXIT_USAGE));
    assertThat(missing.out, containsString("also give --snowflakeAccountUrl"));
    assertThat(missing.out.trim().lines().count(), is(1L));

    Run rewrite =
        audit(
            "--dataDir=" + tmp.getRoot(),
            "--from=" + DAY,
            "--to=" + DAY,
            snowflake,
            "--snowflakeAccountUrl=https://acct.snowflakecomputing.com",
            "--snowflakeUser=collab",
            "--snowflakePassword=env:COLLAB_TEST_UNSET_PASSWORD",
            "--snowflakeDatabase=collab",
            "--snowflakeSchema=curated",
            "--snowflakeWarehouse=collab_load_wh",
            "--snowflakeRole=collab_loader",
            "--rewriteCompleteness=true");
    assertThat(rewrite.out, rewrite.exit, is(CollabAudit.EXIT_USAGE));
    assertThat(rewrite.out, containsString("not built for Snowflake"));
  }

  private static final class Run {
    final int exit;
    final String out;

    Run(int exit, String out) {
      this.exit = exit;
      this.out = out;
    }
  }

  private static Run audit(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit = CollabAudit.run(args, out, out);
    return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
  }

  private static List<Path> rawFiles(Path raw) throws Exception {
    try (Stream<Path> files = Files.walk(raw)) {
      return files
          .filter(p -> p.toString().endsWith(".parquet"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /** The source offsets a raw Parquet file holds (shared with CollabAuditS3Test). */
  static TreeSet<Long> offsets(Path parquet) throws Exception {
    TreeSet<Long> offsets = new TreeSet<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT source_offset FROM read_parquet('" + parquet + "')")) {
      while (rs.next()) {
        offsets.add(rs.getLong(1));
      }
    }
    return offsets;
  }

  /** The lost offsets of the newest audit's partition lines, expanded from their ranges. */
  static String lostOffsetsOfLastAudit(Path data) throws Exception {
    List<String> offsets = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection("jdbc:duckdb:" + data.resolve("warehouse.duckdb"));
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT lost_offsets FROM pipeline_audit WHERE source_kind <> '*' AND audit_id"
                        + " = (SELECT max(audit_id) FROM pipeline_audit) AND lost > 0"
                        + " ORDER BY source_name, source_partition, hour_start")) {
      while (rs.next()) {
        for (String range : rs.getString(1).split(",")) {
          String[] ends = range.split("-");
          long first = Long.parseLong(ends[0]);
          long last = Long.parseLong(ends[ends.length - 1]);
          for (long o = first; o <= last; o++) {
            offsets.add(Long.toString(o));
          }
        }
      }
    }
    return String.join(",", offsets);
  }
}
