package io.collabpipeline.pipelines.files;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.DeliveryFiles;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.transforms.Counters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link NdjsonFiles} on the DirectRunner: lines as exact bytes, with file, line number and arrival
 * time.
 */
@RunWith(JUnit4.class)
public class NdjsonFilesTest {

  private static final long MTIME = Instant.parse("2026-03-04T05:06:07.250Z").toEpochMilli();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder folder = new TemporaryFolder();

  /**
   * A record as "path#line received=... ts=... base64(payload)", so PAssert compares every byte.
   */
  private static final class DescribeFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(
        @Element RawRecord r,
        @Timestamp org.joda.time.Instant timestamp,
        OutputReceiver<String> out) {
      out.output(
          line(r.source().describe(), r.receivedAtMillis(), timestamp.getMillis(), r.payload()));
    }
  }

  private static String line(String where, long receivedAt, long timestamp, byte[] payload) {
    return where
        + " received="
        + receivedAt
        + " ts="
        + timestamp
        + " "
        + Base64.getEncoder().encodeToString(payload);
  }

  private static String expect(Path file, long lineNumber, byte[] payload) {
    return line("file:" + file + "#" + lineNumber, MTIME, MTIME, payload);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }

  private Path write(String name, byte[] content, boolean gzip) throws IOException {
    Path file = folder.getRoot().toPath().resolve(name);
    try (OutputStream out =
        gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(content);
    }
    Files.setLastModifiedTime(file, FileTime.fromMillis(MTIME));
    return file;
  }

  private static final byte[] INVALID_UTF8 = {
    '{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
  };

  /**
   * Lines: plain, invalid UTF-8, CRLF, blank, whitespace, multi-byte UTF-8, a bare CR, a last line
   * without newline.
   */
  private static final byte[] MIXED =
      concat(
          utf8("{\"n\":1}\n"),
          INVALID_UTF8,
          utf8("\n{\"n\":3}\r\n\n   \n{\"name\":\"Zoë \uD83D\uDC4D\"}\n\r\n"),
          utf8("{\"n\":\"a\rb\"}\n{\"last\":true}"));

  private List<String> expectedMixed(Path file) {
    return Arrays.asList(
        expect(file, 1, utf8("{\"n\":1}")),
        expect(file, 2, INVALID_UTF8),
        expect(file, 3, utf8("{\"n\":3}")),
        expect(file, 4, new byte[0]),
        expect(file, 5, utf8("   ")),
        expect(file, 6, utf8("{\"name\":\"Zoë \uD83D\uDC4D\"}")),
        expect(file, 7, new byte[0]),
        expect(file, 8, utf8("{\"n\":\"a\rb\"}")),
        expect(file, 9, utf8("{\"last\":true}")));
  }

  @Test
  public void readsEveryLineAsExactBytesWithLineNumbersAndFileTime() throws IOException {
    Path file = write("mixed.json", MIXED, false);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(file.toString()))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expectedMixed(file));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, NdjsonFiles.LINES_READ), is(9L));
    assertThat(counter(result, NdjsonFiles.FILES_READ), is(1L));
  }

  @Test
  public void readsGzipFilesByExtensionAndGlobsOverSeveralFiles() throws IOException {
    Path gz = write("mixed.json.gz", MIXED, true);
    Path plain = write("other.json", utf8("{\"x\":1}\n{\"x\":2}\n"), false);
    write("ignored.txt", utf8("not matched\n"), false);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(folder.getRoot() + "/*.json*"))
            .apply("Describe", ParDo.of(new DescribeFn()));
    List<String> expected = new ArrayList<>(expectedMixed(gz));
    expected.add(expect(plain, 1, utf8("{\"x\":1}")));
    expected.add(expect(plain, 2, utf8("{\"x\":2}")));
    PAssert.that(records).containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }

  /**
   * The source splits into one source per matched file, in path order, and each reads exactly its
   * own file's lines (line numbers from 1, the file's time): a runner hands whole files to its
   * readers. Unsplit, it reads every file, one after the other. Its size is the files' bytes.
   */
  @Test
  public void splitsIntoOneSourcePerFileEachReadingExactlyItsFile() throws Exception {
    Path gz = write("a-mixed.json.gz", MIXED, true);
    Path plain = write("b-other.json", utf8("{\"x\":1}\n{\"x\":2}\n"), false);
    Path empty = write("c-empty.json", new byte[0], false);
    List<String> ofPlain =
        List.of(expect(plain, 1, utf8("{\"x\":1}")), expect(plain, 2, utf8("{\"x\":2}")));
    PipelineOptions options = PipelineOptionsFactory.create();
    NdjsonFiles.LinesSource root = NdjsonFiles.read(folder.getRoot() + "/*.json*").source();

    List<? extends BoundedSource<RawRecord>> splits = root.split(1, options);
    assertThat(splits.size(), is(3));
    assertThat(readAll(splits.get(0), options), equalTo(expectedMixed(gz)));
    assertThat(readAll(splits.get(1), options), equalTo(ofPlain));
    assertThat(readAll(splits.get(2), options), equalTo(List.of()));
    List<String> all = new ArrayList<>(expectedMixed(gz));
    all.addAll(ofPlain);
    assertThat(readAll(root, options), equalTo(all));
    // A split does not split again.
    assertThat(splits.get(1).split(1, options).size(), is(1));
    assertThat(
        root.getEstimatedSizeBytes(options),
        is(Files.size(gz) + Files.size(plain) + Files.size(empty)));
    assertThat(splits.get(1).getEstimatedSizeBytes(options), is(Files.size(plain)));
  }

  /** Every record a source's reader gives, described with its timestamp. */
  private static List<String> readAll(BoundedSource<RawRecord> source, PipelineOptions options)
      throws IOException {
    List<String> out = new ArrayList<>();
    try (BoundedSource.BoundedReader<RawRecord> reader = source.createReader(options)) {
      for (boolean more = reader.start(); more; more = reader.advance()) {
        RawRecord r = reader.getCurrent();
        out.add(
            line(
                r.source().describe(),
                r.receivedAtMillis(),
                reader.getCurrentTimestamp().getMillis(),
                r.payload()));
      }
    }
    return out;
  }

  /**
   * A streaming pipeline reads through its own steps (those its savepoints hold): the same records,
   * line numbers, arrival times and counters as the batch source.
   */
  @Test
  public void aStreamReadsTheSameLinesThroughItsOwnSteps() throws IOException {
    Path gz = write("mixed.json.gz", MIXED, true);
    Path plain = write("other.json", utf8("{\"x\":1}\n{\"x\":2}\n"), false);
    PipelineOptions options = PipelineOptionsFactory.create();
    options.as(StreamingOptions.class).setStreaming(true);
    Pipeline p = Pipeline.create(options);
    PCollection<String> records =
        p.apply("ReadFiles", NdjsonFiles.read(folder.getRoot() + "/*.json*"))
            .apply("Describe", ParDo.of(new DescribeFn()));
    List<String> expected = new ArrayList<>(expectedMixed(gz));
    expected.add(expect(plain, 1, utf8("{\"x\":1}")));
    expected.add(expect(plain, 2, utf8("{\"x\":2}")));
    PAssert.that(records).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(counter(result, NdjsonFiles.LINES_READ), is(11L));
    assertThat(counter(result, NdjsonFiles.FILES_READ), is(2L));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void aFinalNewlineEndsTheLastLineAndAnEmptyFileHasNone() throws IOException {
    Path one = write("one.json", utf8("{}\n"), false);
    Path newline = write("newline.json", utf8("\n"), false);
    write("empty.json", new byte[0], false);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(folder.getRoot() + "/*.json"))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records)
        .containsInAnyOrder(expect(one, 1, utf8("{}")), expect(newline, 1, new byte[0]));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aLineOverTheLimitIsTruncatedToOneByteMoreAndTheNextLineIsIntact() throws IOException {
    byte[] huge = new byte[300_000];
    Arrays.fill(huge, (byte) 'x');
    huge[0] = '{';
    byte[] exactly = new byte[100];
    Arrays.fill(exactly, (byte) 'y');
    byte[] oneOver = new byte[101];
    Arrays.fill(oneOver, (byte) 'z');
    Path file =
        write(
            "huge.json",
            concat(
                utf8("{\"a\":1}\n"),
                huge,
                utf8("\r\n"),
                exactly,
                utf8("\r\n"),
                oneOver,
                utf8("\n{\"b\":2}")),
            false);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(file.toString()).withMaxRecordBytes(100))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records)
        .containsInAnyOrder(
            expect(file, 1, utf8("{\"a\":1}")),
            expect(file, 2, Arrays.copyOf(huge, 101)),
            expect(file, 3, exactly),
            expect(file, 4, oneOver),
            expect(file, 5, utf8("{\"b\":2}")));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aHugeLastLineWithoutNewlineIsTruncatedToo() throws IOException {
    byte[] huge = new byte[200_000];
    Arrays.fill(huge, (byte) 'q');
    Path file = write("tail.json.gz", huge, true);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(file.toString()).withMaxRecordBytes(1000))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expect(file, 1, Arrays.copyOf(huge, 1001)));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void generatedDeliveriesRoundTripThroughAGzipFile() throws IOException {
    WorkloadGenerator generator =
        new WorkloadGenerator(WorkloadSpec.defaults().withMalformedShare(0.2).withSeed(31));
    Path file = folder.getRoot().toPath().resolve("deliveries.json.gz");
    long arrival = DeliveryFiles.write(generator, 0, 150, file);
    assertThat(arrival, is(generator.arrivalMillis(149)));
    assertThat(Files.getLastModifiedTime(file).toMillis(), is(arrival));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      Delivery d = generator.delivery(i);
      expected.add(line("file:" + file + "#" + (i + 1), arrival, arrival, d.bytes()));
    }
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(file.toString()))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }

  /**
   * Lines of every length from 0 to about 3 KB, some ending in CR, some blank, over a file of
   * several 64-KB read chunks (so lines start, end and break at every position of a chunk and of
   * the eight-byte words the newline search reads), and a limit that truncates the longest: each
   * record as splitting the file's bytes at each newline gives it (the oracle, byte by byte).
   */
  @Test
  public void linesAcrossReadChunksAndWordsAreTheBytesBetweenNewlines() throws IOException {
    byte[] bytes = randomLines(17, 300_000);
    int max = 2500;
    Path file = write("chunks.json", bytes, false);
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", NdjsonFiles.read(file.toString()).withMaxRecordBytes(max))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(splitAtNewlines(file, bytes, max));
    pipeline.run().waitUntilFinish();
  }

  /**
   * An uncompressed file of several pieces' size is read in pieces that begin at line starts (the
   * cuts fall anywhere in lines of every length, within and across read chunks): the pieces in
   * order give every line once, each with its number, as splitting the file's bytes does (the
   * oracle), a final line without newline in the last piece; their sizes add up to the file's; a
   * piece is not cut again. A run counts the file once and every line. A gzip file of the same
   * lines is read whole.
   */
  @Test
  public void aLargeFileIsReadInPiecesThatBeginAtLineStartsAndKeepTheirNumbers() throws Exception {
    byte[] bytes = concat(randomLines(23, 600_000), utf8("{\"last\":true}"));
    int max = 2500;
    Path file = write("big.json", bytes, false);
    List<String> expected = splitAtNewlines(file, bytes, max);
    expected.add(expect(file, expected.size() + 1, utf8("{\"last\":true}")));
    PipelineOptions options = PipelineOptionsFactory.create();
    NdjsonFiles.LinesSource source =
        NdjsonFiles.read(file.toString()).withMaxRecordBytes(max).source().withMinPieceBytes(1000);
    for (int n : new int[] {2, 3, 7, 64}) {
      List<? extends BoundedSource<RawRecord>> pieces = source.split(bytes.length / n, options);
      assertThat("pieces for " + n, pieces.size(), is(n));
      List<String> read = new ArrayList<>();
      long size = 0;
      for (BoundedSource<RawRecord> piece : pieces) {
        read.addAll(readAll(piece, options));
        size += piece.getEstimatedSizeBytes(options);
        assertThat(piece.split(1, options).size(), is(1));
      }
      assertThat("the lines of " + n + " pieces", read, equalTo(expected));
      assertThat(size, is((long) bytes.length));
    }
    assertThat(source.split(bytes.length, options).size(), is(1));
    assertThat(source.split(2L * bytes.length, options).size(), is(1));
    Path gz = write("big.json.gz", bytes, true);
    NdjsonFiles.LinesSource gzip =
        NdjsonFiles.read(gz.toString()).withMaxRecordBytes(max).source().withMinPieceBytes(1000);
    assertThat(gzip.split(bytes.length / 4, options).size(), is(1));

    // The DirectRunner cuts a source into pieces for its threads.
    PCollection<String> records =
        pipeline
            .apply("ReadFiles", Read.from(source))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expected);
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(counter(result, NdjsonFiles.LINES_READ), is((long) expected.size()));
    assertThat(counter(result, NdjsonFiles.FILES_READ), is(1L));
  }

  /**
   * About {@code size} bytes of lines of every length from 0 to about 3 KB (a tenth of them under 8
   * bytes), a fifth ending in CR, with bytes that differ from a newline in a few bits.
   */
  private static byte[] randomLines(long seed, int size) {
    java.util.Random random = new java.util.Random(seed);
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    int[] tricky = {0x0b, 0x8a, 0x09, 0x00, 0xff, 0x0d};
    while (content.size() < size) {
      int length = random.nextInt(10) == 0 ? random.nextInt(8) : random.nextInt(3000);
      for (int i = 0; i < length; i++) {
        content.write(
            random.nextInt(4) == 0 ? tricky[random.nextInt(tricky.length)] : 'a' + i % 26);
      }
      if (random.nextInt(5) == 0) {
        content.write('\r');
      }
      content.write('\n');
    }
    return content.toByteArray();
  }

  /**
   * The records of the newline-terminated lines of {@code bytes}, found byte by byte: truncated to
   * {@code max + 1} bytes, or without one trailing CR.
   */
  private static List<String> splitAtNewlines(Path file, byte[] bytes, int max) {
    List<String> expected = new ArrayList<>();
    int start = 0;
    long lineNumber = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      byte[] line = Arrays.copyOfRange(bytes, start, i);
      if (line.length > max + 1) {
        line = Arrays.copyOf(line, max + 1);
      } else if (line.length > 0 && line[line.length - 1] == '\r') {
        line = Arrays.copyOf(line, line.length - 1);
      }
      expected.add(expect(file, ++lineNumber, line));
      start = i + 1;
    }
    return expected;
  }

  @Test
  public void aGlobThatMatchesNothingFailsNamingTheGlob() {
    String glob = folder.getRoot() + "/missing-*.json";
    Pipeline p = Pipeline.create();
    p.apply("ReadFiles", NdjsonFiles.read(glob));
    Exception e = assertThrows(Exception.class, () -> p.run().waitUntilFinish());
    assertThat(messages(e), containsString(glob));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void invalidConfigurationNamesTheMethodToFix() {
    IllegalArgumentException limit =
        assertThrows(
            IllegalArgumentException.class, () -> NdjsonFiles.read("x").withMaxRecordBytes(0));
    assertThat(limit.getMessage(), containsString("withMaxRecordBytes"));
    IllegalArgumentException glob =
        assertThrows(IllegalArgumentException.class, () -> pipeline.apply(NdjsonFiles.read("")));
    assertThat(glob.getMessage(), containsString("NdjsonFiles.read(glob)"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  private static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.committedOrAttempted(result, NdjsonFiles.METRICS_NAMESPACE, name);
  }
}
