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

  private static BoundedFiles<String> write(Path dir, FileIO.Sink<String> sink, boolean inWindows) {
    return new BoundedFiles<>(
        dir.toString(),
        "x",
        ".txt",
        G1,
        2,
        Duration.standardMinutes(1),
        RawStoreIO.Write.DEFAULT_ALLOWED_LATENESS,
        sink,
        inWindows);
  }

  /** The lines, each at the start of its file's arrival window, as the stores' writes send them. */
  private static PCollection<KV<String, String>> create(
      TestPipeline p, List<KV<String, String>> lines) {
    List<TimestampedValue<KV<String, String>>> stamped = new ArrayList<>();
    for (KV<String, String> line : lines) {
      stamped.add(
          TimestampedValue.of(line, new Instant(PartitionedFiles.windowStartOf(line.getKey()))));
    }
    return p.apply(
        "CreateLines",
        Create.timestamped(stamped)
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
    String minute0 = "dt=2026-11-22/hr=01|0@" + T0;
    String minute1 = "dt=2026-11-22/hr=01|1@" + (T0 + 60_000);
    PCollection<KV<String, String>> committed =
        create(pipeline, List.of(KV.of(minute0, "a"), KV.of(minute1, "c"), KV.of(minute0, "b")))
            .apply("Write", write(dir, TextIO.sink(), true));
    // The names a stream's write gives these windows, pane 0, written out by hand.
    String first = "dt=2026-11-22/hr=01/x-20261122T010000Z-g" + G1 + "-p0-00000-of-00002.txt";
    String second = "dt=2026-11-22/hr=01/x-20261122T010100Z-g" + G1 + "-p0-00001-of-00002.txt";
    PAssert.that(committed)
        .inWindow(new IntervalWindow(new Instant(T0), new Instant(T0 + 60_000)))
        .containsInAnyOrder(KV.of(minute0, dir.resolve(first).toString()));
    PAssert.that(committed)
        .inWindow(new IntervalWindow(new Instant(T0 + 60_000), new Instant(T0 + 120_000)))
        .containsInAnyOrder(KV.of(minute1, dir.resolve(second).toString()));
    pipeline.run().waitUntilFinish();

    // The files and nothing else: no temporary file is left.
    assertThat(files(dir), equalTo(new TreeSet<>(List.of(first, second))));
    assertThat(
        Files.readAllLines(dir.resolve(first), StandardCharsets.UTF_8),
        containsInAnyOrder("a", "b"));
    assertThat(
        Files.readAllLines(dir.resolve(second), StandardCharsets.UTF_8), containsInAnyOrder("c"));
  }

  @Test
  public void withoutTheWindowsSendsOnTheCommittedFilesOnce() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("store");
    String minute0 = "dt=2026-11-22/hr=01|0@" + T0;
    String minute1 = "dt=2026-11-22/hr=01|1@" + (T0 + 60_000);
    PCollection<KV<String, String>> committed =
        create(pipeline, List.of(KV.of(minute0, "a"), KV.of(minute1, "c")))
            .apply("Write", write(dir, TextIO.sink(), false));
    String first = "dt=2026-11-22/hr=01/x-20261122T010000Z-g" + G1 + "-p0-00000-of-00002.txt";
    String second = "dt=2026-11-22/hr=01/x-20261122T010100Z-g" + G1 + "-p0-00001-of-00002.txt";
    PAssert.that(committed)
        .containsInAnyOrder(
            KV.of(minute0, dir.resolve(first).toString()),
            KV.of(minute1, dir.resolve(second).toString()));
    pipeline.run().waitUntilFinish();
    assertThat(files(dir), equalTo(new TreeSet<>(List.of(first, second))));
  }

  @Test
  public void aWriteThatFailsCommitsNoFile() throws Exception {
    Path dir = tmp.getRoot().toPath().resolve("store");
    List<KV<String, String>> lines = new ArrayList<>();
    for (int minute = 0; minute < 20; minute++) {
      lines.add(KV.of("dt=2026-11-22/hr=01|0@" + (T0 + minute * 60_000L), "line " + minute));
    }
    lines.add(KV.of("dt=2026-11-22/hr=02|0@" + (T0 + 3_600_000L), FailingSink.FAIL));
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
