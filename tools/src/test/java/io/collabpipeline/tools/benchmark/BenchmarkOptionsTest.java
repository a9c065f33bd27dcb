package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.collabpipeline.pipelines.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * The benchmark modes' shared option parsing: one-line usage errors that list the mode's options,
 * whole numbers of at least 1 (or 0), paths checked before any run, defaults, and the median of the
 * repeats. Every mode's command line is checked through {@link CollabBenchmark#run}, which fails on
 * a bad option before any work.
 */
public class BenchmarkOptionsTest {
  private static String usageError(String... args) {
    return assertThrows(UsageException.class, () -> CollabBenchmark.run(args)).getMessage();
  }

  /** The usage error of {@code args}, which must start with {@code prefix}. */
  private static String refusal(String prefix, String... args) {
    String message = usageError(args);
    assertTrue(message, message.startsWith(prefix));
    return message;
  }

  @Test
  public void theArrivalRateIsCheckedAsThePipelineChecksIt() throws Exception {
    assertEquals(
        "--arrivalRate=slow must be a positive number of deliveries per second of the arrival"
            + " clock, e.g. 2 (the default is 40)",
        usageError("--arrivalRate=slow"));
    assertEquals(
        "--arrivalRate=0.0001 is too slow: a retry would arrive longer after its event occurred"
            + " than the default --maxEventAge accepts; raise it, or set --duplicateShare=0",
        usageError("--arrivalRate=0.0001"));
    Path store = Files.createTempDirectory("bench-raw");
    try {
      assertEquals(
          "--arrivalRate shapes generated events, and a replay of --rawStore generates none:"
              + " leave one of them out",
          usageError("--modes=replay", "--rawStore=" + store, "--arrivalRate=2"));
    } finally {
      Files.delete(store);
    }
  }

  @Test
  public void everyModeNamesTheUnknownOptionAndListsItsOwnOptions() {
    assertEquals(
        "unknown option --bogus=1 (options: --events=N --repeats=N --warmups=N --parallelism=N"
            + " --modes=parse,batch,streaming,replay,flinksql --workDir=DIR --results=FILE"
            + " --rawStore=DIR --arrivalRate=R --inputFiles=N --clusterPerJob=true|false)",
        usageError("--bogus=1"));
    assertEquals(
        "unknown option --rate=5 for --modes=validate (options: --events=N --repeats=N"
            + " --warmups=N)",
        usageError("--modes=validate", "--rate=5"));
    assertEquals(
        "unknown option --events=5 for --modes=source (options: --rate=N --seconds=N"
            + " --parallelism=N --interval=SECONDS)",
        usageError("--modes=source", "--events=5"));
    assertEquals(
        "unknown option --interval=5 for --modes=soak (options: --minutes=N --rate=N"
            + " --warmup=MINUTES --dedupHorizon=DURATION --parallelism=N --workDir=DIR)",
        usageError("--modes=soak", "--interval=5"));
    assertEquals(
        "unknown option --events=5 for --modes=dedupstate (options: --ids=N --parallelism=N"
            + " --backends=rocksdb,hashmap)",
        usageError("--modes=dedupstate", "--events=5"));
    assertEquals(
        "unknown option --rate=5 for --modes=collector (options: --events=N --batch=N"
            + " --connections=N --repeats=N --kafkaBootstrapServers=HOST:PORT)",
        usageError("--modes=collector", "--rate=5"));
  }

  @Test
  public void anOptionNeedsTwoDashes() {
    assertEquals(
        "unknown option events=5 for --modes=validate (options: --events=N --repeats=N"
            + " --warmups=N)",
        usageError("--modes=validate", "events=5"));
  }

  @Test
  public void countsMustBeWholeNumbersOfAtLeastOne() {
    assertEquals(
        "--ids=0 must be a whole number of at least 1",
        usageError("--modes=dedupstate", "--ids=0"));
    assertEquals(
        "--batch=ten must be a whole number of at least 1",
        usageError("--modes=collector", "--batch=ten"));
    assertEquals("--events= must be a whole number of at least 1", usageError("--events"));
    // Zero warm-ups is allowed; a negative count is not, and the error says what is.
    assertEquals(
        "--warmup=-1 must be a whole number of at least 0",
        usageError("--modes=soak", "--warmup=-1"));
    assertEquals("--warmups=-1 must be a whole number of at least 0", usageError("--warmups=-1"));
    assertEquals(
        "--warmups=many must be a whole number of at least 0", usageError("--warmups=many"));
    // A count is an int: 2^32 + 1 repeats is not one repeat.
    assertEquals(
        "--repeats=4294967297 is too large: at most 2147483647",
        usageError("--repeats=4294967297"));
  }

  @Test
  public void aWorkDirOrResultsFileThatCannotBeWrittenIsAOneLineErrorBeforeAnyRun()
      throws Exception {
    Path dir = Files.createTempDirectory("bench-paths");
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    // Were a check missing, the run would go on, briefly (a parse of 10 events), and end without
    // the usage error.
    String[] tiny = {"--modes=parse", "--events=10"};
    try {
      List<String> messages =
          List.of(
              refusal(
                  "--workDir=" + file.resolve("sub") + " cannot be created (",
                  tiny[0],
                  tiny[1],
                  "--workDir=" + file.resolve("sub")),
              refusal(
                  "--workDir=" + file + " cannot be created (",
                  "--modes=soak",
                  "--workDir=" + file),
              refusal(
                  "--results=" + file.resolve("bench.json") + ": its directory cannot be created (",
                  tiny[0],
                  tiny[1],
                  "--results=" + file.resolve("bench.json")));
      assertTrue(
          messages.get(0), messages.get(0).endsWith("): give a directory this user can write"));
      for (String message : messages) {
        assertFalse(message, message.contains("\n"));
      }
      assertEquals(
          "--results="
              + dir
              + " is a directory: give a file name in it, e.g. --results="
              + dir.resolve("bench.json"),
          usageError(tiny[0], tiny[1], "--results=" + dir));
    } finally {
      Files.delete(file);
      Files.delete(dir);
    }
  }

  @Test
  public void modeChecksStillApplyAfterParsing() {
    assertEquals(
        "--backends=rocksdb,heap: backends are rocksdb and hashmap (comma-separated)",
        usageError("--modes=dedupstate", "--backends=rocksdb,heap"));
    assertEquals(
        "--seconds=5 must be at least one --interval (10 s)",
        usageError("--modes=source", "--seconds=5"));
    assertEquals(
        "--minutes=6 leaves fewer than 2 minutes after the --warmup=5 for the heap's slope: raise"
            + " --minutes or lower --warmup",
        usageError("--modes=soak", "--minutes=6"));
    assertEquals("--results= needs a file name: --results=FILE", usageError("--results="));
    assertEquals("--clusterPerJob=yes must be true or false", usageError("--clusterPerJob=yes"));
  }

  @Test
  public void valuesDefaultsAndTheLastValueOfARepeatedOption() {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            new String[] {"--modes=x", "--rate=5", "--warmup=0", "--rate=7", "--dir"},
            "",
            "--rate=N",
            "--warmup=N",
            "--seconds=N",
            "--dir=DIR");
    assertEquals(7, o.positive("rate", 1));
    assertEquals(60, o.positive("seconds", 60));
    assertEquals(0, o.positiveOrZero("warmup", 3));
    assertEquals(4, o.positiveOrZero("seconds", 4));
    assertTrue(o.has("dir"));
    assertEquals("", o.get("dir", "unset"));
    assertFalse(o.has("seconds"));
    assertEquals("unset", o.get("seconds", "unset"));
  }

  @Test
  public void theMedianIsTheMiddleValueOrTheMeanOfTheMiddleTwo() {
    assertEquals(3.0, BenchmarkOptions.median(List.of(5.0, 1.0, 3.0)), 0);
    assertEquals(2.5, BenchmarkOptions.median(List.of(4.0, 1.0, 2.0, 3.0)), 0);
    assertEquals(7.0, BenchmarkOptions.median(List.of(7.0)), 0);
  }
}
