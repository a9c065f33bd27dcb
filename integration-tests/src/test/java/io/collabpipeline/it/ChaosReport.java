package io.collabpipeline.it;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The chaos suite's results: each run appends its figures to {@code target/chaos/results.tsv};
 * {@link ChaosSuiteTest} then writes RELIABILITY.md at the repository root from that file alone, so
 * the table is what this run measured, on this machine.
 */
final class ChaosReport {
  static final Path RESULTS = Path.of("target", "chaos", "results.tsv");

  private ChaosReport() {}

  static synchronized void clear() throws IOException {
    Files.deleteIfExists(RESULTS);
  }

  static synchronized void record(ChaosRun.Result result) throws IOException {
    Files.createDirectories(RESULTS.getParent());
    Files.writeString(
        RESULTS,
        result.line() + System.lineSeparator(),
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Writes RELIABILITY.md from the recorded results; returns false when there are none. */
  static boolean writeReliability(Path file, long suiteSeconds) throws IOException {
    if (!Files.isRegularFile(RESULTS)) {
      return false;
    }
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(RESULTS, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(line.split("\t", -1));
      }
    }
    if (rows.isEmpty()) {
      return false;
    }
    StringBuilder md = new StringBuilder();
    md.append("# Reliability: what the chaos suite measured\n\n")
        .append(
            "Written by the chaos suite (`ChaosSuiteTest` in `integration-tests/`) from its own")
        .append(
            " results, every time it runs: as part of the\nREADME's test command, or alone with")
        .append(" `./mvnw -B -pl integration-tests -am verify -Dtest=ChaosSuiteTest")
        .append(" -Dsurefire.failIfNoSpecifiedTests=false`.\nDo not edit it by hand.\n\n")
        .append("Run of ")
        .append(
            DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                Instant.now().atOffset(ZoneOffset.UTC).withNano(0)))
        .append(" UTC on ")
        .append(machine())
        .append("; the whole suite took ")
        .append(suiteSeconds / 60)
        .append(" min ")
        .append(suiteSeconds % 60)
        .append(" s.\n\n")
        .append("Each run: the pipeline as a process of its own (`--source=kafka`, embedded Flink")
        .append(" (the TaskManager kill: a standalone cluster of 3 processes, `flink run`),")
        .append(" the named Flink profile's restart strategy, checkpoints every ")
        .append(ChaosRun.CHECKPOINT_MILLIS / 1000)
        .append(" s), a stream of ")
        .append(String.format(Locale.ROOT, "%,d", ChaosRun.EVENTS))
        .append(" generated records published at ")
        .append(String.format(Locale.ROOT, "%.0f", ChaosRun.RATE))
        .append(" records/s over ")
        .append(ChaosRun.PARTITIONS)
        .append(" partitions (3% duplicate deliveries, 5% late, 2% malformed unless the fault says")
        .append(" otherwise), the fault injected once a third of it was published.\n")
        .append("- **published**: records the broker acknowledged; **received**: what")
        .append(" `pipeline_completeness` counted, hour by hour equal to quarantined + duplicate +")
        .append(" accepted;\n")
        .append("- **audited**: source offsets the lost-event audit (`bin/collab-audit`) accounted")
        .append(" for as raw-written, quarantined or duplicate (n/a: stores on S3, which it cannot")
        .append(" read here);\n")
        .append(
            "- **lost**: accepted events missing from the raw store, plus offsets the audit found")
        .append(" lost; **double-counted**: received")
        .append(
            " beyond published, plus task updates and notifications counted above the independent")
        .append(" computation in the hour windows;\n")
        .append("- **raw copies**: extra copies of an event id in the raw store (harmless: replays")
        .append(" deduplicate by event id);\n")
        .append(
            "- **recovery**: from the end of the fault (the service back, the process killed or")
        .append(" restarted) to the job's first completed checkpoint after it.\n\n")
        .append("Every run also asserts that the curated tables equal the ones computed")
        .append(" independently from what was published (`ExpectedTables`), after the correction")
        .append(" replay where the fault needs one; a run that fails any of it fails the build")
        .append(" and is not in this table.\n\n")
        .append("| fault | profile | published | received | audited | accepted | lost |")
        .append(" double-counted | raw copies | recovery s | how it recovered | run s |\n")
        .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
    for (String[] r : rows) {
      md.append("| ").append(r[0]).append(" | ").append(r[1]);
      md.append(" | ").append(count(r[2])).append(" | ").append(count(r[3]));
      md.append(" | ").append(r.length > 11 && !r[11].equals("-1") ? count(r[11]) : "n/a");
      for (int i = 4; i <= 7; i++) {
        md.append(" | ").append(count(r[i]));
      }
      md.append(" | ")
          .append(r[8])
          .append(" | ")
          .append(r[9])
          .append(" | ")
          .append(r[10])
          .append(" |\n");
    }
    Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    return true;
  }

  private static String count(String n) {
    return String.format(Locale.ROOT, "%,d", Long.parseLong(n));
  }

  private static String machine() {
    long memory = 0;
    try {
      for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (l.startsWith("MemTotal:")) {
          memory = Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      memory = -1;
    }
    return String.format(
        Locale.ROOT,
        "%d cores, %s GiB, %s %s, Java %s",
        Runtime.getRuntime().availableProcessors(),
        memory < 0 ? "?" : Long.toString(memory),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        ManagementFactory.getRuntimeMXBean().getSpecVersion());
  }
}
