package io.collabpipeline.pipelines.stores;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link BoundedFiles}: a bounded batch input's files under the names the stores' windowed writes
 * give them, the files committed all at once and none of them when the write fails.
 */
@RunWith(JUnit4.class)
public class BoundedFilesTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** 2026-11-22T01:00:00Z */
  private static final long T0 = RawStoreIOTest.T0;

  private static final long G1 = RawStoreIOTest.G1;

  private static final String SHARD0 = "dt=2026-11-22/hr=01|0";
  private static final String SHARD1 = "dt=2026-11-22/hr=01|1";

  /**
   * The names a stream's write gives shard 0 in the minute at T0 and shard 1 in the next one, pane
   * 0, written out by hand.
   */
  private static final String FIRST =
      "dt=2026-11-22/hr=01/x-20261122T010000Z-g" + G1 + "-p0-00000-of-00002.txt";

  private static final String SECOND =
      "dt=2026-11-22/hr=01/x-20261122T010100Z-g" + G1 + "-p0-00001-of-00002.txt";

  private static BoundedFiles<String> write(Path dir, FileIO.Sink<String> sink, boolean inWindows) {
    return new BoundedFiles<>(
        dir.toString(),
        d -> PartitionedFiles.naming(d, "x", G1, 2, ".txt"),
        Duration.standardMinutes(1),
        RawStoreIO.Write.DEFAULT_ALLOWED_LATENESS,
        sink,
        inWindows);
  }

  /** A line of {@code destination}'s file, arrived at {@code arrivalMillis}. */
  private static TimestampedValue<KV<String, String>> line(
      String destination, long arrivalMillis, String text) {
    return TimestampedValue.of(KV.of(destination, text), new Instant(arrivalMillis));
  }

  private static PCollection<KV<String, String>> create(
      TestPipeline p, List<TimestampedValue<KV<String, String>>> lines) {
    return p.apply(
        "CreateLines",
        Create.timestamped(lines)
            .withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
  }

  /** Every regular file under {@code dir}, relative to it. */
  private static Set<String> files(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return new TreeSet<>();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  public void writesEachFileUnderTheWindowedWritesNameAndSendsItOnInItsWindow() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("store");
    PCollection<KV<String, String>> committed =
        create(
                pipeline,
                List.of(
                    line(SHARD0, T0 + 5, "a"),
                    line(SHARD1, T0 + 60_000, "c"),
                    line(SHARD0, T0 + 59_999, "b")))
            .apply("Write", write(dir, TextIO.sink(), true));
    PAssert.that(committed)
        .inWindow(new IntervalWindow(new Instant(T0), new Instant(T0 + 60_000)))
        .containsInAnyOrder(KV.of(SHARD0, dir.resolve(FIRST).toString()));
    PAssert.that(committed)
        .inWindow(new IntervalWindow(new Instant(T0 + 60_000), new Instant(T0 + 120_000)))
        .containsInAnyOrder(KV.of(SHARD1, dir.resolve(SECOND).toString()));
    pipeline.run().waitUntilFinish();

    // The files and nothing else: no temporary file is left.
    assertThat(files(dir), equalTo(new TreeSet<>(List.of(FIRST, SECOND))));
    assertThat(
        Files.readAllLines(dir.resolve(FIRST), StandardCharsets.UTF_8),
        containsInAnyOrder("a", "b"));
    assertThat(
        Files.readAllLines(dir.resolve(SECOND), StandardCharsets.UTF_8), containsInAnyOrder("c"));
  }

  @Test
  public void withoutTheWindowsSendsOnTheCommittedFilesOnce() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("store");
    PCollection<KV<String, String>> committed =
        create(pipeline, List.of(line(SHARD0, T0, "a"), line(SHARD1, T0 + 60_000, "c")))
            .apply("Write", write(dir, TextIO.sink(), false));
    PAssert.that(committed)
        .containsInAnyOrder(
            KV.of(SHARD0, dir.resolve(FIRST).toString()),
            KV.of(SHARD1, dir.resolve(SECOND).toString()));
    pipeline.run().waitUntilFinish();
    assertThat(files(dir), equalTo(new TreeSet<>(List.of(FIRST, SECOND))));
  }

  @Test
  public void aWriteThatFailsCommitsNoFile() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("store");
    List<TimestampedValue<KV<String, String>>> lines = new ArrayList<>();
    for (int minute = 0; minute < 20; minute++) {
      lines.add(line(SHARD0, T0 + minute * 60_000L, "line " + minute));
    }
    lines.add(line("dt=2026-11-22/hr=02|0", T0 + 3_600_000L, FailingSink.FAIL));
    create(pipeline, lines).apply("Write", write(dir, new FailingSink(), true));

    assertThrows(RuntimeException.class, () -> pipeline.run().waitUntilFinish());
    // Files of the other minutes were written before or after the failing one, but none was
    // committed: nothing under the store's names, only temporary files.
    Set<String> storeFiles = new TreeSet<>();
    for (String f : files(dir)) {
      if (f.endsWith(".txt")) {
        storeFiles.add(f);
      }
    }
    assertThat(storeFiles, empty());
  }

  /** Writes lines as text, and fails on the line {@link #FAIL}. */
  private static final class FailingSink implements FileIO.Sink<String> {
    private static final long serialVersionUID = 1L;
    static final String FAIL = "fail here";
    private final FileIO.Sink<String> lines = TextIO.sink();

    @Override
    public void open(WritableByteChannel channel) throws IOException {
      lines.open(channel);
    }

    @Override
    public void write(String element) throws IOException {
      if (FAIL.equals(element)) {
        throw new IOException("the test's sink fails on purpose");
      }
      lines.write(element);
    }

    @Override
    public void flush() throws IOException {
      lines.flush();
    }
  }
}
