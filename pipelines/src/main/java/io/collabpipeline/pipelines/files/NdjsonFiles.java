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
import java.nio.channels.SeekableByteChannel;
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
 *   <li>The files are read in parallel: in a batch pipeline the source splits into one source per
 *       file, which the runner hands to whichever reader is free, and an uncompressed file larger
 *       than the runner's share per reader into pieces that begin at line starts (found by reading
 *       the file once when the source is split, which also counts the lines before each piece, so
 *       that every line keeps its number); a stream matches the files and spreads them over its
 *       readers as before (the steps its checkpoints and savepoints hold), each file whole. A
 *       compressed file is read whole by one reader.
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

  private static final byte NEWLINE = '\n';

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

  /**
   * A matched file, or a piece of one: its path, size and last-modified time (the arrival time of
   * its lines), and the bytes to read, from {@link #start} (a line start) to {@link #end} (the
   * start of the next piece, or -1: to the end of the file), after {@link #linesBefore} lines.
   */
  private static final class MatchedFile implements Serializable {
    private static final long serialVersionUID = 2L;
    final String path;
    final long sizeBytes;
    final long lastModifiedMillis;
    final long start;
    final long end;
    final long linesBefore;

    private MatchedFile(
        String path,
        long sizeBytes,
        long lastModifiedMillis,
        long start,
        long end,
        long linesBefore) {
      this.path = path;
      this.sizeBytes = sizeBytes;
      this.lastModifiedMillis = lastModifiedMillis;
      this.start = start;
      this.end = end;
      this.linesBefore = linesBefore;
    }

    static MatchedFile of(MatchResult.Metadata match) {
      return new MatchedFile(
          match.resourceId().toString(), match.sizeBytes(), match.lastModifiedMillis(), 0, -1, 0);
    }

    boolean whole() {
      return start == 0 && end < 0;
    }

    /** The piece of this file from {@code start} to {@code end} (-1: its end). */
    MatchedFile piece(long start, long end, long linesBefore) {
      return new MatchedFile(path, sizeBytes, lastModifiedMillis, start, end, linesBefore);
    }

    /** The bytes this piece holds, as matched. */
    long lengthBytes() {
      return (end < 0 ? Math.max(sizeBytes, start) : end) - start;
    }
  }

  /**
   * The lines of the files a glob matches, as a bounded source that splits into one source per
   * file, or per piece of a file larger than a reader's share ({@link #pieces}): a batch pipeline's
   * reading. A runner hands the splits out as its readers ask for them (Flink's batch runner: the
   * next split to whichever reader is free), so the files spread over the readers by their work,
   * not by a random key: read through {@code FileIO.match}, whose reshuffle keys each file at
   * random, the two files of the benchmark went to the same one of two readers in about half of the
   * runs, and validation, which takes each reader's records on that reader's subtask, then ran on
   * one core; a single file was read by one reader.
   */
  static final class LinesSource extends BoundedSource<RawRecord> {
    private static final long serialVersionUID = 1L;

    /** A file is cut into pieces of at least this many bytes. */
    static final long MIN_PIECE_BYTES = 8L << 20;

    /** At most this many pieces of one file. */
    private static final int MAX_PIECES = 256;

    private final String glob;
    private final int maxRecordBytes;
    private final long minPieceBytes;

    /** The files of this split; null until the glob is matched (the source as built). */
    private final @Nullable List<MatchedFile> files;

    LinesSource(String glob, int maxRecordBytes, @Nullable List<MatchedFile> files) {
      this(glob, maxRecordBytes, MIN_PIECE_BYTES, files);
    }

    private LinesSource(
        String glob, int maxRecordBytes, long minPieceBytes, @Nullable List<MatchedFile> files) {
      this.glob = glob;
      this.maxRecordBytes = maxRecordBytes;
      this.minPieceBytes = minPieceBytes;
      this.files = files;
    }

    /** This source with pieces of at least {@code bytes} (tests cut small files). */
    LinesSource withMinPieceBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("withMinPieceBytes(n) needs n >= 1, got " + bytes);
      }
      return new LinesSource(glob, maxRecordBytes, bytes, files);
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
        for (MatchedFile piece : pieces(f, desiredBundleSizeBytes)) {
          splits.add(new LinesSource(glob, maxRecordBytes, minPieceBytes, List.of(piece)));
        }
      }
      return splits;
    }

    /**
     * {@code file} whole, or in pieces of about {@code desiredBytes} (the runner's share per
     * reader) that begin at line starts: an uncompressed file of at least two pieces of {@link
     * #minPieceBytes}, on a filesystem whose channels seek. The file is read once here, to find the
     * line start at or after each cut and the number of lines before it. A piece is not cut again.
     */
    private List<MatchedFile> pieces(MatchedFile file, long desiredBytes) throws IOException {
      if (!file.whole()
          || desiredBytes <= 0
          || Compression.detect(file.path) != Compression.UNCOMPRESSED) {
        return List.of(file);
      }
      long byRunner = Math.round((double) file.sizeBytes / desiredBytes);
      int n = (int) Math.min(Math.min(byRunner, file.sizeBytes / minPieceBytes), MAX_PIECES);
      if (n < 2) {
        return List.of(file);
      }
      ResourceId resource = FileSystems.matchNewResource(file.path, false);
      try (ReadableByteChannel channel = FileSystems.open(resource)) {
        if (!(channel instanceof SeekableByteChannel)) {
          return List.of(file); // a piece could not start where it begins
        }
        return cutAtLineStarts(file, n, channel);
      }
    }

    /**
     * The pieces of {@code file} that begin at the first line start at or after each of the {@code
     * n - 1} even cuts: a line starts at 0 and after each newline.
     */
    private static List<MatchedFile> cutAtLineStarts(
        MatchedFile file, int n, ReadableByteChannel channel) throws IOException {
      List<Long> starts = new ArrayList<>(List.of(0L));
      List<Long> linesBefore = new ArrayList<>(List.of(0L));
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
      byte[] bytes = chunk.array();
      long offset = 0;
      long newlines = 0;
      int cut = 1;
      while (cut < n) {
        chunk.clear();
        int read = channel.read(chunk);
        if (read < 0) {
          break;
        }
        int end = chunk.position();
        for (int i = ByteWords.indexOf(bytes, 0, end, NEWLINE);
            i >= 0 && cut < n;
            i = ByteWords.indexOf(bytes, i + 1, end, NEWLINE)) {
          newlines++;
          long next = offset + i + 1; // the line that starts after this newline
          // The first newline at or after the byte before a cut ends the line the cut falls in.
          while (cut < n && offset + i >= file.sizeBytes * cut / n - 1) {
            if (next < file.sizeBytes && next > starts.get(starts.size() - 1)) {
              starts.add(next);
              linesBefore.add(newlines);
            }
            cut++;
          }
        }
        offset += end;
      }
      List<MatchedFile> pieces = new ArrayList<>();
      for (int k = 0; k < starts.size(); k++) {
        long end = k + 1 < starts.size() ? starts.get(k + 1) : -1;
        pieces.add(file.piece(starts.get(k), end, linesBefore.get(k)));
      }
      return pieces;
    }

    @Override
    public long getEstimatedSizeBytes(PipelineOptions options) throws IOException {
      long total = 0;
      for (MatchedFile f : files()) {
        total += f.lengthBytes();
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

    /** Bytes of the open file's piece not read yet. */
    private long remaining;

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
      position = 0;
      end = 0;
      if (remaining <= 0) {
        return false; // the end of the piece: the next piece starts here
      }
      if (remaining < CHUNK_BYTES) {
        chunk.limit((int) remaining);
      }
      int n;
      do {
        n = channel.read(chunk);
      } while (n == 0);
      if (n < 0) {
        return false;
      }
      end = chunk.position();
      remaining -= n;
      return true;
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
      ReadableByteChannel opened = FileSystems.open(resource);
      if (file.start > 0) {
        // A piece of an uncompressed file (LinesSource.pieces), on a filesystem that seeks.
        ((SeekableByteChannel) opened).position(file.start);
      } else {
        filesRead.inc(); // once per file, by its first piece
      }
      channel = Compression.detect(path).readDecompressed(opened);
      remaining = file.end < 0 ? Long.MAX_VALUE : file.end - file.start;
      lineNumber = file.linesBefore;
      linesCounted = file.linesBefore;
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
