package io.collabpipeline.pipelines.files;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.ByteWords;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Newline-delimited JSON files as a source of {@link RawRecord}s: every line of every file matching
 * a glob, byte for byte, with its file and 1-based line number, received at the file's
 * last-modified time.
 *
 * <p>Semantics:
 *
 * <ul>
 *   <li>Files are read as bytes, never decoded: a line that is not valid UTF-8 reaches validation
 *       exactly as it is in the file (and is quarantined there). Files ending in {@code .gz} (and
 *       the other extensions Beam's {@link Compression#AUTO} knows) are decompressed.
 *   <li>Lines end at {@code '\n'}; one trailing {@code '\r'} is stripped (CRLF files). Blank lines
 *       are records too (validation quarantines them as empty): nothing that enters is dropped
 *       silently. The empty string after a final newline is not a line.
 *   <li>A line longer than {@link #withMaxRecordBytes(int)} is emitted truncated to max + 1 bytes,
 *       which validation quarantines as too large; the rest of the line is skipped without being
 *       buffered.
 *   <li>Every record is received at, and timestamped with, its file's last-modified time: a
 *       property of the input, so a rerun accounts each record to the same hour of arrival.
 *   <li>A glob that matches nothing fails the pipeline with an error naming the glob.
 *   <li>The files are read in parallel, each whole by one reader: in a batch pipeline the source
 *       splits into one source per file, which the runner hands to whichever reader is free; a
 *       stream matches the files and spreads them over its readers as before (the steps its
 *       checkpoints and savepoints hold). A single file is read by one reader (a line's number is
 *       only known after every line before it).
 * </ul>
 *
 * <p>Counters {@code files/files_read} and {@code files/lines_read}.
 */
@AutoValue
public abstract class NdjsonFiles extends PTransform<PBegin, PCollection<RawRecord>> {

  /** Namespace of this source's metrics. */
  public static final String METRICS_NAMESPACE = "files";

  /** Counter of lines (records) emitted. */
  public static final String LINES_READ = "lines_read";

  /** Counter of files opened. */
  public static final String FILES_READ = "files_read";

  /** The default record limit: 1 MiB, the limit of contract 1. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

  abstract @Nullable String glob();

  abstract int maxRecordBytes();

  abstract Builder toBuilder();

  /**
   * Reads every line of every file matching {@code glob} (a local path or any Beam filesystem, e.g.
   * {@code s3://}).
   */
  public static NdjsonFiles read(String glob) {
    return new AutoValue_NdjsonFiles.Builder()
        .setGlob(glob)
        .setMaxRecordBytes(DEFAULT_MAX_RECORD_BYTES)
        .build();
  }

  /** Lines longer than {@code maxBytes} are emitted truncated to {@code maxBytes + 1} bytes. */
  public NdjsonFiles withMaxRecordBytes(int maxBytes) {
    if (maxBytes < 1 || maxBytes == Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "withMaxRecordBytes(n) needs 1 <= n < " + Integer.MAX_VALUE + ", got " + maxBytes);
    }
    return toBuilder().setMaxRecordBytes(maxBytes).build();
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    String glob = glob();
    if (glob == null || glob.isEmpty()) {
      throw new IllegalArgumentException(
          "NdjsonFiles needs a file glob: call NdjsonFiles.read(glob) with a non-empty glob");
    }
    if (!BatchGrouping.isBatch(input.getPipeline().getOptions())) {
      // A stream keeps the steps its checkpoints and savepoints were taken of.
      return input
          .apply(
              "MatchFiles",
              FileIO.match()
                  .filepattern(glob)
                  .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
          .apply("OpenFiles", FileIO.readMatches().withCompression(Compression.AUTO))
          .apply("ReadLines", ParDo.of(new ReadLinesFn(maxRecordBytes())));
    }
    return input.apply("ReadLines", Read.from(source()));
  }

  /** The bounded source this transform reads. */
  LinesSource source() {
    return new LinesSource(glob(), maxRecordBytes(), null);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(DisplayData.item("glob", glob()))
        .add(DisplayData.item("maxRecordBytes", maxRecordBytes()));
  }

  /** A stream's reading of each matched file: every line of it, as {@link LinesSource} reads it. */
  private static final class ReadLinesFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private static final long serialVersionUID = 1L;
    private final int maxRecordBytes;

    ReadLinesFn(int maxRecordBytes) {
      this.maxRecordBytes = maxRecordBytes;
    }

    @ProcessElement
    public void processElement(
        @Element FileIO.ReadableFile file, PipelineOptions options, OutputReceiver<RawRecord> out)
        throws IOException {
      MatchedFile matched = MatchedFile.of(file.getMetadata());
      LinesSource source = new LinesSource(matched.path, maxRecordBytes, List.of(matched));
      try (BoundedSource.BoundedReader<RawRecord> reader = source.createReader(options)) {
        for (boolean more = reader.start(); more; more = reader.advance()) {
          out.outputWithTimestamp(reader.getCurrent(), reader.getCurrentTimestamp());
        }
      }
    }
  }

  /** A matched file: its path, size and last-modified time (the arrival time of its lines). */
  private static final class MatchedFile implements Serializable {
    private static final long serialVersionUID = 1L;
    final String path;
    final long sizeBytes;
    final long lastModifiedMillis;

    MatchedFile(String path, long sizeBytes, long lastModifiedMillis) {
      this.path = path;
      this.sizeBytes = sizeBytes;
      this.lastModifiedMillis = lastModifiedMillis;
    }

    static MatchedFile of(MatchResult.Metadata match) {
      return new MatchedFile(
          match.resourceId().toString(), match.sizeBytes(), match.lastModifiedMillis());
    }
  }

  /**
   * The lines of the files a glob matches, as a bounded source that splits into one source per
   * file: a batch pipeline's reading. A runner hands the splits out as its readers ask for them
   * (Flink's batch runner: the next file to whichever reader is free), so the files spread over the
   * readers by their work, not by a random key: read through {@code FileIO.match}, whose reshuffle
   * keys each file at random, the two files of the benchmark went to the same one of two readers in
   * about half of the runs, and validation, which is chained to the reading, then ran on one core.
   */
  static final class LinesSource extends BoundedSource<RawRecord> {
    private static final long serialVersionUID = 1L;
    private final String glob;
    private final int maxRecordBytes;

    /** The files of this split; null until the glob is matched (the source as built). */
    private final @Nullable List<MatchedFile> files;

    LinesSource(String glob, int maxRecordBytes, @Nullable List<MatchedFile> files) {
      this.glob = glob;
      this.maxRecordBytes = maxRecordBytes;
      this.files = files;
    }

    private List<MatchedFile> files() throws IOException {
      if (files != null) {
        return files;
      }
      MatchResult match = FileSystems.match(glob, EmptyMatchTreatment.DISALLOW);
      if (match.status() != MatchResult.Status.OK) {
        throw new IOException(
            "no file matches the input glob "
                + glob
                + " ("
                + match.status()
                + "): check the path and the pattern");
      }
      List<MatchedFile> matched = new ArrayList<>();
      for (MatchResult.Metadata m : match.metadata()) {
        matched.add(MatchedFile.of(m));
      }
      matched.sort(Comparator.comparing(f -> f.path));
      return matched;
    }

    @Override
    public List<? extends BoundedSource<RawRecord>> split(
        long desiredBundleSizeBytes, PipelineOptions options) throws IOException {
      List<LinesSource> splits = new ArrayList<>();
      for (MatchedFile f : files()) {
        splits.add(new LinesSource(glob, maxRecordBytes, List.of(f)));
      }
      return splits;
    }

    @Override
    public long getEstimatedSizeBytes(PipelineOptions options) throws IOException {
      long total = 0;
      for (MatchedFile f : files()) {
        total += f.sizeBytes;
      }
      return total;
    }

    @Override
    public BoundedReader<RawRecord> createReader(PipelineOptions options) throws IOException {
      return new LinesReader(this, files(), maxRecordBytes);
    }

    @Override
    public Coder<RawRecord> getOutputCoder() {
      return RawRecordCoder.of();
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("glob", glob));
    }
  }

  /** Reads the lines of a split's files, one file after the other; see the class Javadoc. */
  private static final class LinesReader extends BoundedSource.BoundedReader<RawRecord> {
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final byte NEWLINE = '\n';

    private final LinesSource source;
    private final List<MatchedFile> files;
    private final int maxRecordBytes;
    private final Counter filesRead = Metrics.counter(METRICS_NAMESPACE, FILES_READ);
    private final Counter linesRead = Metrics.counter(METRICS_NAMESPACE, LINES_READ);
    private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES);
    private final LineBuffer line;

    private int nextFile;
    private @Nullable ReadableByteChannel channel;
    private String path = "";
    private long arrival;
    private Instant timestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private long lineNumber;
    private long linesCounted;
    private int position;
    private int end;
    private @Nullable RawRecord current;

    LinesReader(LinesSource source, List<MatchedFile> files, int maxRecordBytes) {
      this.source = source;
      this.files = files;
      this.maxRecordBytes = maxRecordBytes;
      this.line = new LineBuffer(maxRecordBytes + 1);
    }

    @Override
    public boolean start() throws IOException {
      return advance();
    }

    @Override
    public boolean advance() throws IOException {
      while (true) {
        if (channel == null) {
          if (nextFile >= files.size()) {
            current = null;
            return false;
          }
          open(files.get(nextFile++));
        }
        byte[] bytes = chunk.array();
        // Newlines found eight bytes at a time: comparing byte by byte was a twentieth of the
        // batch graph's CPU samples.
        int i = ByteWords.indexOf(bytes, position, end, NEWLINE);
        if (i >= 0) {
          byte[] record;
          if (line.started()) {
            line.append(bytes, position, i - position);
            record = line.take();
          } else {
            // The whole line is in this chunk: one copy, not two through the line buffer.
            record = LineBuffer.lineOf(bytes, position, i - position, maxRecordBytes + 1);
          }
          position = i + 1;
          current = RawRecord.of(record, SourceRef.file(path, ++lineNumber), arrival);
          return true;
        }
        line.append(bytes, position, end - position);
        if (!fill()) {
          closeFile();
          if (line.started()) {
            current = RawRecord.of(line.take(), SourceRef.file(path, ++lineNumber), arrival);
            linesRead.inc();
            return true;
          }
        }
      }
    }

    /** Reads the next chunk of the open file; false at its end. */
    private boolean fill() throws IOException {
      // Counted per chunk: each Counter.inc looks the thread's metrics container up, which per
      // line was 3% of the batch graph's CPU samples.
      linesRead.inc(lineNumber - linesCounted);
      linesCounted = lineNumber;
      chunk.clear();
      int n;
      do {
        n = channel.read(chunk);
      } while (n == 0);
      position = 0;
      end = chunk.position();
      return n != -1;
    }

    private void open(MatchedFile file) throws IOException {
      path = file.path;
      arrival = file.lastModifiedMillis;
      if (arrival <= 0) {
        // FileIO.ReadableFile's coder (a stream's matched files) drops the modification time of
        // the match: ask the filesystem again.
        arrival = FileSystems.matchSingleFileSpec(path).lastModifiedMillis();
      }
      if (arrival <= 0) {
        throw new IOException(
            "cannot read the last-modified time of "
                + path
                + ": it is the arrival time of every line of the file");
      }
      timestamp = new Instant(arrival);
      ResourceId resource = FileSystems.matchNewResource(path, false);
      channel = Compression.detect(path).readDecompressed(FileSystems.open(resource));
      filesRead.inc();
      lineNumber = 0;
      linesCounted = 0;
      position = 0;
      end = 0;
    }

    private void closeFile() throws IOException {
      ReadableByteChannel open = channel;
      channel = null;
      if (open != null) {
        open.close();
      }
    }

    @Override
    public RawRecord getCurrent() {
      if (current == null) {
        throw new NoSuchElementException("no current line");
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      if (current == null) {
        throw new NoSuchElementException("no current line");
      }
      return timestamp;
    }

    @Override
    public void close() throws IOException {
      closeFile();
    }

    @Override
    public BoundedSource<RawRecord> getCurrentSource() {
      return source;
    }
  }

  /**
   * The bytes of the current line, up to a capacity: what does not fit is counted as seen but not
   * kept, so a huge line costs no memory beyond the capacity.
   */
  private static final class LineBuffer {
    private final int capacity;
    private byte[] bytes = new byte[256];
    private int length;
    private boolean overflowed;
    private boolean started;

    LineBuffer(int capacity) {
      this.capacity = capacity;
    }

    void append(byte[] source, int offset, int count) {
      if (count <= 0) {
        return;
      }
      started = true;
      int keep = Math.min(count, capacity - length);
      if (keep < count) {
        overflowed = true;
      }
      if (keep > 0) {
        if (length + keep > bytes.length) {
          bytes =
              Arrays.copyOf(
                  bytes,
                  (int) Math.min(capacity, Math.max((long) bytes.length * 2, length + keep)));
        }
        System.arraycopy(source, offset, bytes, length, keep);
        length += keep;
      }
    }

    /**
     * The line of {@code count} bytes at {@code offset}, as {@link #append} then {@link #take}
     * would give it from an empty buffer of {@code capacity}: truncated to the capacity, or without
     * one trailing {@code '\r'}.
     */
    static byte[] lineOf(byte[] source, int offset, int count, int capacity) {
      if (count > capacity) {
        return Arrays.copyOfRange(source, offset, offset + capacity);
      }
      int end = offset + count;
      if (count > 0 && source[end - 1] == '\r') {
        end--;
      }
      return Arrays.copyOfRange(source, offset, end);
    }

    /** Whether anything was appended since the last {@link #take()}. */
    boolean started() {
      return started;
    }

    /**
     * The line so far (without one trailing '\r', unless truncated), and resets for the next line.
     */
    byte[] take() {
      int end = length;
      if (!overflowed && end > 0 && bytes[end - 1] == '\r') {
        end--;
      }
      byte[] line = Arrays.copyOf(bytes, end);
      length = 0;
      overflowed = false;
      started = false;
      if (bytes.length > 64 * 1024) {
        bytes = new byte[256]; // do not keep a huge buffer for the next, usually small, line
      }
      return line;
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setGlob(String glob);

    abstract Builder setMaxRecordBytes(int maxRecordBytes);

    abstract NdjsonFiles build();
  }
}
