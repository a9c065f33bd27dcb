package io.collabpipeline.pipelines.replay;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The replay options of the command line: one-line errors naming the option, and a small replay end
 * to end.
 */
@RunWith(JUnit4.class)
public class ReplayCliTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return CollabPipeline.runCli(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private void assertOneLineError(int code, String... fragments) {
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e, code, equalTo(2));
    assertThat("one line: " + e, e.trim().split("\n").length, equalTo(1));
    assertThat(e, not(containsString("\tat ")));
    for (String f : fragments) {
      assertThat(e, containsString(f));
    }
  }

  private String dataDir() throws Exception {
    return tmp.newFolder().getPath();
  }

  @Test
  public void rawWithoutFromSaysWhatToAdd() throws Exception {
    assertOneLineError(
        run("--source=raw", "--to=2026-11-02", "--dataDir=" + dataDir()),
        "--from is required with --source=raw",
        "YYYY-MM-DD");
  }

  @Test
  public void rawWithoutToSaysWhatToAdd() throws Exception {
    assertOneLineError(
        run("--source=raw", "--from=2026-11-02", "--dataDir=" + dataDir()),
        "--to is required with --source=raw");
  }

  @Test
  public void aMalformedDateIsNamed() throws Exception {
    assertOneLineError(
        run("--source=raw", "--from=2026-13-01", "--to=2026-11-02", "--dataDir=" + dataDir()),
        "--from=2026-13-01 is not a date");
  }

  @Test
  public void aRangeEndingBeforeItStartsIsRefused() throws Exception {
    assertOneLineError(
        run("--source=raw", "--from=2026-11-05", "--to=2026-11-02", "--dataDir=" + dataDir()),
        "--to=2026-11-02 is before --from=2026-11-05");
  }

  @Test
  public void moreThanThirtyDaysIsRefused() throws Exception {
    assertOneLineError(
        run("--source=raw", "--from=2026-10-01", "--to=2026-10-31", "--dataDir=" + dataDir()),
        "spans 31 days",
        "at most 30 days");
  }

  @Test
  public void thirtyDaysPassTheRangeCheckAndMissingPartitionsAreNamed() throws Exception {
    assertOneLineError(
        run("--source=raw", "--from=2026-10-01", "--to=2026-10-30", "--dataDir=" + dataDir()),
        "--rawStore=",
        "has no Parquet files for 30 of the dates",
        "dt=2026-10-01");
  }

  @Test
  public void streamingReplayIsRefused() throws Exception {
    assertOneLineError(
        run(
            "--source=raw",
            "--from=2026-11-02",
            "--to=2026-11-02",
            "--streaming=true",
            "--dataDir=" + dataDir()),
        "--streaming=true does not apply to --source=raw");
  }

  @Test
  public void fromWithoutAReplaySourceIsRefused() throws Exception {
    assertOneLineError(
        run("--from=2026-11-02", "--dataDir=" + dataDir()), "--from is only read by replays");
  }

  @Test
  public void dryRunWithoutAReplaySourceIsRefused() throws Exception {
    assertOneLineError(
        run("--dryRun=true", "--dataDir=" + dataDir()), "--dryRun only applies to replays");
  }

  @Test
  public void aNonPositiveGenerationIsNamed() throws Exception {
    assertOneLineError(
        run("--generation=0", "--dataDir=" + dataDir()), "--generation=0 must be a positive");
  }

  @Test
  public void quarantineNeedsDatesToo() throws Exception {
    assertOneLineError(
        run("--source=quarantine", "--dataDir=" + dataDir()),
        "--from is required with --source=quarantine");
  }

  /**
   * Files in, then a dry run and a replay of the raw store on the DirectRunner: the dry run saves
   * its report and changes nothing; the replay commits its generation and leaves the (already
   * correct) tables as they were.
   */
  @Test
  public void aDryRunThenAReplayOfAFilesRunOnTheDirectRunner() throws Exception {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withDeliveries(60).withSeed(5L).withDuplicateShare(0.05);
    File input = tmp.newFile("events.ndjson");
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = dataDir();
    String warehouse = "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    assertThat(
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=100"),
        equalTo(0));
    List<CuratedRow> before = readAll(warehouse);
    String date = spec.start().toString().substring(0, 10);

    int dry =
        run(
            "--runner=DirectRunner",
            "--source=raw",
            "--from=" + date,
            "--to=" + date,
            "--dataDir=" + dataDir,
            "--dryRun=true",
            "--generation=200");
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err.toString(StandardCharsets.UTF_8) + printed, dry, equalTo(0));
    assertThat(printed, containsString("dry run: nothing was written"));
    try (Stream<Path> reports = Files.list(Path.of(dataDir, "replays"))) {
      assertThat(
          reports.map(p -> p.getFileName().toString()).sorted().toArray(),
          equalTo(new String[] {"diff-200.json", "diff-200.txt"}));
    }

    int replay =
        run(
            "--runner=DirectRunner",
            "--source=raw",
            "--from=" + date,
            "--to=" + date,
            "--dataDir=" + dataDir,
            "--generation=300");
    printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err.toString(StandardCharsets.UTF_8) + printed, replay, equalTo(0));
    assertThat(printed, containsString("replay generation 300 committed"));
    assertThat(readAll(warehouse), equalTo(before));
    try (JdbcWarehouse w = Warehouses.openJdbc(warehouse)) {
      assertThat(w.log().entry(100L).get().status(), equalTo(GenerationLog.Status.COMMITTED));
      assertThat(w.log().entry(200L).get().status(), equalTo(GenerationLog.Status.DRY_RUN));
      assertThat(w.log().entry(300L).get().status(), equalTo(GenerationLog.Status.COMMITTED));
    }
  }

  /**
   * Two quarantine replays of the same arrival date (two generations) after a live run whose too
   * short --maxEventAge quarantined valid events (OCCURRED_TOO_LONG_AGO; the replays use the
   * default): the second adds its own revalidated files next to the first one's and replaces none
   * of them, the raw store then holds those events twice, and the raw replay's dedup by event id
   * keeps every count: the tables equal those after the first.
   */
  @Test
  public void aSecondQuarantineReplayKeepsTheFirstOnesFilesAndTheCounts() throws Exception {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withDeliveries(80).withSeed(9L).withDuplicateShare(0.05);
    File input = tmp.newFile("events.ndjson");
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = dataDir();
    String warehouse = "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    assertThat(
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--maxEventAge=1h",
            "--generation=100"),
        equalTo(0));
    long liveRows = rawRows(dataDir);

    String[] replay = {
      "--runner=DirectRunner",
      "--source=quarantine",
      "--from=2026-11-03",
      "--to=2026-11-03",
      "--dataDir=" + dataDir,
      "--progressSeconds=0"
    };
    int first = run(concat(replay, "--generation=2000"));
    String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertThat(printed, first, equalTo(0));
    Map<String, byte[]> firstFiles = revalidatedFiles(dataDir, 2000);
    assertThat(printed, firstFiles.isEmpty(), equalTo(false));
    long revalidated = rawRows(dataDir) - liveRows;
    assertThat(revalidated, greaterThan(0L));
    List<CuratedRow> afterFirst = readAll(warehouse);

    int second = run(concat(replay, "--generation=3000"));
    printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertThat(printed, second, equalTo(0));
    Map<String, byte[]> now = revalidatedFiles(dataDir, 2000);
    assertThat(now.keySet(), equalTo(firstFiles.keySet()));
    for (Map.Entry<String, byte[]> f : firstFiles.entrySet()) {
      assertThat(f.getKey() + " unchanged", Arrays.equals(now.get(f.getKey()), f.getValue()));
    }
    assertThat(revalidatedFiles(dataDir, 3000).size(), equalTo(firstFiles.size()));
    assertThat("both replays' copies", rawRows(dataDir), equalTo(liveRows + 2 * revalidated));
    assertThat("the dedup keeps every count", readAll(warehouse), equalTo(afterFirst));
  }

  private static String[] concat(String[] args, String more) {
    String[] all = Arrays.copyOf(args, args.length + 1);
    all[args.length] = more;
    return all;
  }

  /** The revalidated files of {@code generation} under the data dir's raw store, with bytes. */
  private static Map<String, byte[]> revalidatedFiles(String dataDir, long generation)
      throws Exception {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(Path.of(dataDir, "raw"))) {
      for (Path f :
          s.filter(Files::isRegularFile)
              .filter(p -> p.getFileName().toString().startsWith("revalidated-"))
              .filter(p -> p.getFileName().toString().endsWith("-g" + generation + ".parquet"))
              .collect(Collectors.toList())) {
        files.put(f.toString(), Files.readAllBytes(f));
      }
    }
    return files;
  }

  private static long rawRows(String dataDir) throws Exception {
    Path raw = Path.of(dataDir, "raw");
    if (!Files.isDirectory(raw)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(raw)) {
      if (s.noneMatch(p -> p.toString().endsWith(".parquet"))) {
        return 0;
      }
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet('" + dataDir + "/raw/**/*.parquet')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<CuratedRow> readAll(String url) throws Exception {
    List<CuratedRow> rows = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(url)) {
      for (CuratedTable t : CuratedTable.values()) {
        rows.addAll(w.curated().read(t));
      }
    }
    return rows;
  }
}
