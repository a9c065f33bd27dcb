package io.collabpipeline.tools.cost;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;

import io.collabpipeline.tools.benchmark.BenchmarkResults;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 11, point 6: bin/collab-cost's command line (one-line errors, exit 2) and the benchmark's
 * results file written by the benchmark's writer and read back by the cost command.
 */
public class CollabCostTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private String out;
  private String err;

  private int exec(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code =
        CollabCost.exec(
            args,
            new PrintStream(o, true, StandardCharsets.UTF_8),
            new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  private void assertOneLineError(String expected) {
    assertThat(err, startsWith("collab-cost: "));
    assertThat(err, containsString(expected));
    assertEquals("one line: " + err, 1, err.split("\n").length);
    assertThat(err, not(containsString("Exception")));
    assertEquals("", out);
  }

  @Test
  public void anUnknownOptionIsAOneLineErrorWithExitCode2() {
    assertEquals(2, exec("--streamEventsPerSecondPerCore=100", "--bogus=1"));
    assertOneLineError("unknown option --bogus=1");
  }

  @Test
  public void aNegativeRateIsAOneLineErrorWithExitCode2() {
    assertEquals(
        2, exec("--streamEventsPerSecondPerCore=-5", "--replayEventsPerSecondPerCore=100"));
    assertOneLineError("--streamEventsPerSecondPerCore=-5 must be a number above 0");
  }

  @Test
  public void aMissingBenchmarkFileIsAOneLineErrorWithExitCode2() {
    String missing = tmp.getRoot().toPath().resolve("nope.json").toString();
    assertEquals(2, exec("--benchmark=" + missing));
    assertOneLineError("--benchmark=" + missing + ": no such file");
  }

  @Test
  public void aDirectoryGivenForTheBenchmarkFileIsNamedSo() {
    String dir = tmp.getRoot().toString();
    assertEquals(2, exec("--benchmark=" + dir));
    assertOneLineError("--benchmark=" + dir + " is a directory, not a results file");
  }

  @Test
  public void aDirectoryGivenForThePricesFileIsNamedSo() {
    String dir = tmp.getRoot().toString();
    assertEquals(
        2,
        exec(
            "--streamEventsPerSecondPerCore=5000",
            "--replayEventsPerSecondPerCore=100000",
            "--prices=" + dir));
    assertOneLineError("--prices=" + dir + " is a directory, not a prices file");
  }

  @Test
  public void withoutFiguresTheCommandRefusesToInventThem() {
    assertEquals(2, exec("--format=markdown"));
    assertOneLineError("no throughput figures");
  }

  @Test
  public void aResultsFileWithoutAReplayModeNeedsTheOption() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("r.json");
    Map<String, Long> events = new LinkedHashMap<>();
    events.put("streaming", 1000L);
    Map<String, Double> medians = new LinkedHashMap<>();
    medians.put("streaming", 1.0);
    BenchmarkResults.ofRun(events, medians, 1).write(file);
    assertEquals(2, exec("--benchmark=" + file));
    assertOneLineError("has no replay mode");
    assertEquals(0, exec("--benchmark=" + file, "--replayEventsPerSecondPerCore=500"));
  }

  @Test
  public void theBenchmarksResultsFileGivesTheCostCommandItsPerCoreFigures() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("results.json");
    Map<String, Long> events = new LinkedHashMap<>();
    events.put("streaming", 100_000L);
    events.put("replay", 300_000L);
    Map<String, Double> medians = new LinkedHashMap<>();
    medians.put("streaming", 10.0);
    medians.put("replay", 12.0);
    BenchmarkResults.ofRun(events, medians, 2).write(file);

    BenchmarkResults read = BenchmarkResults.read(file);
    assertEquals(10_000.0, read.modes.get("streaming").eventsPerSecond, 1e-9);
    assertEquals(2, read.modes.get("replay").parallelism);
    assertEquals(300_000L, read.modes.get("replay").events);
    assertEquals(System.getProperty("java.version"), read.modes.get("replay").javaVersion);

    assertEquals(0, exec("--benchmark=" + file));
    // Per core: events / median seconds / min(parallelism 2, this machine's cores).
    int cores = Math.min(2, Runtime.getRuntime().availableProcessors());
    assertEquals(100_000 / 10.0 / cores, option("streamEventsPerSecondPerCore"), 1e-6);
    assertEquals(300_000 / 12.0 / cores, option("replayEventsPerSecondPerCore"), 1e-6);
    assertThat(out, containsString("TOTAL $"));
    assertEquals("", err);
  }

  @Test
  public void anExplicitOptionOverridesTheResultsFile() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("results.json");
    Files.writeString(
        file,
        "{\"format\":\"collab-benchmark-results/1\",\"date\":\"2026-12-01\",\"cores\":2,"
            + "\"modes\":{\"streaming\":{\"eventsPerSecond\":9000,\"parallelism\":2,\"cores\":2},"
            + "\"replay\":{\"eventsPerSecond\":20000,\"parallelism\":2,\"cores\":2}}}");
    assertEquals(0, exec("--benchmark=" + file, "--streamEventsPerSecondPerCore=30000"));
    assertEquals(30_000.0, option("streamEventsPerSecondPerCore"), 1e-9);
    assertEquals(10_000.0, option("replayEventsPerSecondPerCore"), 1e-9);
  }

  /** An option's value as the text output lists it under "assumptions". */
  private double option(String name) {
    Matcher m = Pattern.compile("--" + name + "=([0-9.]+) \\[").matcher(out);
    if (!m.find()) {
      throw new AssertionError("no --" + name + " in the output:\n" + out);
    }
    return Double.parseDouble(m.group(1).toLowerCase(Locale.ROOT));
  }
}
