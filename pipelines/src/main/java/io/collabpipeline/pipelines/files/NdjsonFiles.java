package io.collabpipeline.pipelines.files;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.ByteWords;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
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
    return input
        .apply(
            "MatchFiles",
            FileIO.match().filepattern(glob).withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("OpenFiles", FileIO.readMatches().withCompression(Compression.AUTO))
        .apply("ReadLines", ParDo.of(new ReadLinesFn(maxRecordBytes())));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(DisplayData.item("glob", glob()))
        .add(DisplayData.item("maxRecordBytes", maxRecordBytes()));
  }

  /** Splits a file into lines of bytes; see the class Javadoc for the rules. */
  private static final class ReadLinesFn extends DoFn<FileIO.ReadableFile, RawRecord> {
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final byte NEWLINE = '\n';

    private final int maxRecordBytes;
    private final Counter filesRead = Metrics.counter(METRICS_NAMESPACE, FILES_READ);
    private final Counter linesRead = Metrics.counter(METRICS_NAMESPACE, LINES_READ);

    ReadLinesFn(int maxRecordBytes) {
      this.maxRecordBytes = maxRecordBytes;
    }

    @ProcessElement
    public void processElement(@Element FileIO.ReadableFile file, OutputReceiver<RawRecord> out)
        throws IOException {
      MatchResult.Metadata metadata = file.getMetadata();
      String path = metadata.resourceId().toString();
      long arrival = metadata.lastModifiedMillis();
      if (arrival <= 0) {
        // FileIO.ReadableFile's coder drops the modification time of the match: ask the filesystem
        // again.
        arrival = FileSystems.matchSingleFileSpec(path).lastModifiedMillis();
      }
      if (arrival <= 0) {
        throw new IOException(
            "cannot read the last-modified time of "
                + path
                + ": it is the arrival time of every line of the file");
      }
      Instant timestamp = new Instant(arrival);
      filesRead.inc();

      LineBuffer line = new LineBuffer(maxRecordBytes + 1);
      long lineNumber = 0;
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES);
      try (ReadableByteChannel channel = file.open()) {
        while (channel.read(chunk) != -1) {
          chunk.flip();
          byte[] bytes = chunk.array();
          int start = 0;
          int end = chunk.limit();
          long linesBefore = lineNumber;
          // Newlines found eight bytes at a time: comparing byte by byte was a twentieth of the
          // batch graph's CPU samples.
          for (int i = ByteWords.indexOf(bytes, start, end, NEWLINE);
              i >= 0;
              i = ByteWords.indexOf(bytes, start, end, NEWLINE)) {
            byte[] record;
            if (line.started()) {
              line.append(bytes, start, i - start);
              record = line.take();
            } else {
              // The whole line is in this chunk: one copy, not two through the line buffer.
              record = LineBuffer.lineOf(bytes, start, i - start, maxRecordBytes + 1);
            }
            out.outputWithTimestamp(
                RawRecord.of(record, SourceRef.file(path, ++lineNumber), arrival), timestamp);
            start = i + 1;
          }
          // Counted per chunk: each Counter.inc looks the thread's metrics container up, which per
          // line was 3% of the batch graph's CPU samples.
          linesRead.inc(lineNumber - linesBefore);
          line.append(bytes, start, end - start);
          chunk.clear();
        }
      }
      if (line.started()) {
        out.outputWithTimestamp(
            RawRecord.of(line.take(), SourceRef.file(path, ++lineNumber), arrival), timestamp);
        linesRead.inc();
      }
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
