package io.collabpipeline.pipelines.stores;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The quarantine: every rejected record with its reason, kept as JSON lines (reason, detail, ids,
 * source, arrival time and the original bytes in base64, so that even records that are not valid
 * UTF-8 survive the round trip) under a local directory or any Beam file system prefix, partitioned
 * by ARRIVAL date and hour ({@code <prefix>/dt=YYYY-MM-DD/hr=HH/quarantine-*.jsonl}). This class is
 * the one way in and out of it:
 *
 * <ul>
 *   <li>{@link #write} ({@link Write}): the live graph's quarantine, under file names that carry
 *       the writer's generation: append-only, no other job, restart or replay writes the same name.
 *   <li>{@link #read} ({@link Read}): the records of a range of arrival dates, as the {@link
 *       RawRecord}s they were when they arrived (original bytes, source coordinate and arrival
 *       time, which is also the element timestamp), for re-validation after a fix (a quarantine
 *       replay).
 *   <li>{@link #readRecords}: every record under a prefix, in plain Java without a pipeline (tests,
 *       tools).
 * </ul>
 *
 * <pre>{@code
 * // the live graph: rejected records timestamped with their arrival time
 * quarantined.apply("WriteQuarantine",
 *     QuarantineIO.write("s3://restricted-bucket/quarantine").withGeneration(config.generation()));
 *
 * // a quarantine replay of the records that arrived on one date
 * PCollection<RawRecord> originals =
 *     pipeline.apply("ReadQuarantine", QuarantineIO.read("s3://restricted-bucket/quarantine")
 *         .withRange(ReplayScope.day(LocalDate.parse("2026-11-02"))));
 *
 * // outside a pipeline
 * List<QuarantineRecord> all = QuarantineIO.readRecords("/data/quarantine");
 * }</pre>
 *
 * <p>The quarantine holds unminimized payloads, so it is access-restricted (see {@link Write}) and
 * payloads are never logged: nothing here puts one in an exception message, and a line that cannot
 * be parsed is reported by its file and the field at fault, never its content. Every transform
 * reads and writes through Beam's {@code FileSystems}, so a non-local prefix works once its file
 * system is registered ({@code S3Setup.configure} for {@code s3://}). Metric names are constants of
 * each transform ({@link Write#METRICS_NAMESPACE}, {@link Read#METRICS_NAMESPACE}). The inner step
 * names and the names of the DoFns are part of the graph's step names, on which Flink savepoints
 * depend: do not rename them.
 */
public final class QuarantineIO {
  private QuarantineIO() {}

  /**
   * Writes rejected records to the quarantine under {@code prefix}: a local directory or a file
   * system URI prefix.
   */
  public static Write write(String prefix) {
    return new AutoValue_QuarantineIO_Write.Builder()
        .setPrefix(prefix)
        .setGeneration(0L)
        .setNumShards(1)
        .setWindowSize(Duration.standardMinutes(1))
        .setAllowedLateness(Write.DEFAULT_ALLOWED_LATENESS)
        .build();
  }

  /**
   * Reads the quarantine under {@code prefix} back into the original records; set the arrival dates
   * with {@link Read#withRange}.
   */
  public static Read read(String prefix) {
    return new AutoValue_QuarantineIO_Read.Builder().setPrefix(prefix).build();
  }

  /**
   * All records under {@code prefix}, in plain Java (no pipeline): file by file in name order, each
   * file in line order; empty if there are none. Reads through Beam's {@link FileSystems}, so a
   * non-local prefix works once {@link FileSystems#setDefaultPipelineOptions} has registered its
   * file system.
   */
  public static List<QuarantineRecord> readRecords(String prefix) throws IOException {
    MatchResult match = FileSystems.match(glob(prefix), EmptyMatchTreatment.ALLOW);
    if (match.status() != MatchResult.Status.OK && match.status() != MatchResult.Status.NOT_FOUND) {
      throw new IOException("cannot list the quarantine under " + prefix + ": " + match.status());
    }
    List<MatchResult.Metadata> files =
        match.status() == MatchResult.Status.OK
            ? new ArrayList<>(match.metadata())
            : new ArrayList<>();
    files.sort(Comparator.comparing(m -> m.resourceId().toString()));
    List<QuarantineRecord> records = new ArrayList<>();
    for (MatchResult.Metadata file : files) {
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(
                  Channels.newInputStream(FileSystems.open(file.resourceId())),
                  StandardCharsets.UTF_8))) {
        String line;
        int lineNumber = 0;
        while ((line = in.readLine()) != null) {
          lineNumber++;
          if (line.isEmpty()) {
            continue;
          }
          try {
            records.add(QuarantineJson.fromJsonLine(line));
          } catch (IllegalArgumentException e) {
            throw new IOException(
                file.resourceId() + " line " + lineNumber + ": " + e.getMessage(), e);
          }
        }
      }
    }
    return records;
  }

  /**
   * One line of a quarantine file as its record; the message of a line that cannot be parsed names
   * the field at fault, never the payload. For tools that rewrite quarantine files line by line
   * (the erasure job) and keep the lines they do not drop byte for byte.
   */
  public static QuarantineRecord parseLine(String line) {
    return QuarantineJson.fromJsonLine(line);
  }

  /** The record as one line of a quarantine file (no terminator), as {@link Write} writes it. */
  public static String toLine(QuarantineRecord record) {
    return QuarantineJson.toJsonLine(record);
  }

  /** The glob of the finalized quarantine files under {@code prefix}, of every writer. */
  public static String filesGlob(String prefix) {
    return glob(prefix);
  }

  /**
   * The glob of the finalized quarantine files under {@code prefix}, of every writer (Beam's
   * temporary files do not match it).
   */
  static String glob(String prefix) {
    return PartitionedFiles.asDirectory(prefix)
        + "dt=*/hr=*/"
        + Write.FILE_PREFIX
        + "-*"
        + Write.FILE_SUFFIX;
  }

  /** The glob of the quarantine files of one arrival date under {@code prefix}, of every writer. */
  static String partitionGlob(String prefix, LocalDate date) {
    return PartitionedFiles.asDirectory(prefix)
        + "dt="
        + date
        + "/hr=*/"
        + Write.FILE_PREFIX
        + "-*"
        + Write.FILE_SUFFIX;
  }

  /** The globs of every date of {@code range}, in date order. */
  static List<String> partitionGlobs(String prefix, ReplayScope range) {
    List<String> globs = new ArrayList<>();
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      globs.add(partitionGlob(prefix, d));
    }
    return globs;
  }

  /**
   * Writes rejected records to the quarantine: JSON lines under {@code
   * <prefix>/dt=YYYY-MM-DD/hr=HH/quarantine-<arrival
   * minute>-g<generation>-p<pane>-<shard>-of-<n>.jsonl}, partitioned by ARRIVAL date and hour.
   *
   * <p>The quarantine holds unminimized payloads, so it is access-restricted: a local directory is
   * created (or tightened) with owner-only permissions (0700) where the file system supports it. On
   * S3 ({@code s3://bucket/prefix}, set up by {@code S3Setup.configure}) there are no directories
   * and no file modes, so nothing is done here: access must be restricted by the bucket's policy (a
   * bucket or prefix of its own, readable only by the pipeline's role and the on-call role, with a
   * lifecycle rule for its short retention). Payloads are never logged, and nothing here puts one
   * in an exception message.
   *
   * <p>Windowing and names are those of {@link RawStoreIO.Write}: fixed windows of arrival time
   * (one minute by default) with a long allowed lateness ({@link #DEFAULT_ALLOWED_LATENESS}, late
   * records in a later pane's file; beyond it the runner counts them in {@code
   * droppedDueToLateness} of this step), a fixed number of shards chosen from the record's source
   * coordinate ({@link #withNumShards}, default 1), and file names fixed by partition, window, the
   * writer's generation ({@link #withGeneration}, required), pane and shard: append-only, another
   * writer never replaces a file, and the same writer re-executing a window (a Flink restore)
   * rewrites the same name. A bounded input of a batch pipeline is written by {@link BoundedFiles},
   * as the raw store's is: the same lines under the same names, all files committed at once. The
   * output is each committed file as {@code KV<destination, file>}. A missing or invalid option
   * fails {@code expand} with a message naming the {@code withX()} to fix. Metrics: namespace
   * {@value #METRICS_NAMESPACE}, counter {@value #RECORDS_COUNTER}.
   */
  @AutoValue
  public abstract static class Write
      extends PTransform<PCollection<QuarantineRecord>, PCollection<KV<String, String>>> {
    private static final long serialVersionUID = 1L;

    public static final String METRICS_NAMESPACE = "quarantine";
    public static final String RECORDS_COUNTER = "records";

    /** As {@link RawStoreIO.Write#DEFAULT_ALLOWED_LATENESS}: 7 days. */
    public static final Duration DEFAULT_ALLOWED_LATENESS =
        RawStoreIO.Write.DEFAULT_ALLOWED_LATENESS;

    static final String FILE_PREFIX = "quarantine";
    static final String FILE_SUFFIX = ".jsonl";

    abstract String prefix();

    abstract long generation();

    abstract int numShards();

    abstract Duration windowSize();

    abstract Duration allowedLateness();

    abstract Builder toBuilder();

    /**
     * The writer's generation ({@code GraphConfig.generation()}), a positive number: every file
     * name carries it, so that no other job, restart or replay ever writes the same name. Required.
     */
    public Write withGeneration(long generation) {
      return toBuilder().setGeneration(generation).build();
    }

    /**
     * Files per partition, window and pane; records are spread over them by source coordinate.
     * Default 1.
     */
    public Write withNumShards(int numShards) {
      return toBuilder().setNumShards(numShards).build();
    }

    /** Size of the arrival-time windows after which files are finalized. Default one minute. */
    public Write withWindowSize(Duration windowSize) {
      return toBuilder().setWindowSize(windowSize).build();
    }

    /**
     * How long behind the watermark a record is still written (in a late pane's file). Default
     * {@link #DEFAULT_ALLOWED_LATENESS}.
     */
    public Write withAllowedLateness(Duration allowedLateness) {
      return toBuilder().setAllowedLateness(allowedLateness).build();
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setPrefix(String value);

      abstract Builder setGeneration(long value);

      abstract Builder setNumShards(int value);

      abstract Builder setWindowSize(Duration value);

      abstract Builder setAllowedLateness(Duration value);

      abstract Write build();
    }

    @Override
    public PCollection<KV<String, String>> expand(PCollection<QuarantineRecord> records) {
      PartitionedFiles.checkOptions(
          "QuarantineIO", prefix(), generation(), numShards(), windowSize(), allowedLateness());
      PCollection<QuarantineRecord> prepared =
          records.apply("PrepareQuarantineDirectory", ParDo.of(new PrepareFn(prefix())));
      if (BatchGrouping.isBoundedBatch(prepared)) {
        return writeBounded(prepared);
      }
      return prepared
          .apply(
              "WindowByArrival",
              PartitionedFiles.<QuarantineRecord>arrivalWindows(windowSize(), allowedLateness()))
          .apply(
              "WriteJsonLines",
              FileIO.<String, QuarantineRecord>writeDynamic()
                  .by(destination())
                  .withDestinationCoder(StringUtf8Coder.of())
                  .via(Contextful.fn(QuarantineJson::toJsonLine), TextIO.sink())
                  .to(prefix())
                  .withNaming(naming())
                  .withNumShards(1))
          .getPerDestinationOutputFilenames();
    }

    /**
     * A bounded input of a batch pipeline: the same lines under the same names as a stream's write,
     * through {@link BoundedFiles} instead of Beam's {@code WriteFiles}.
     */
    private PCollection<KV<String, String>> writeBounded(PCollection<QuarantineRecord> records) {
      return records
          .apply("LinesByFile", ParDo.of(new LineByFileFn(destination())))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
          .apply(
              "WriteJsonLines",
              new BoundedFiles<>(
                  prefix(), naming(), windowSize(), allowedLateness(), TextIO.sink(), false));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(
              DisplayData.item("prefix", PartitionedFiles.displayable(prefix()))
                  .withLabel("Quarantine prefix"))
          .add(DisplayData.item("generation", generation()).withLabel("Writer's generation"))
          .add(
              DisplayData.item("numShards", numShards())
                  .withLabel("Shards per partition and window"))
          .add(DisplayData.item("windowSize", windowSize().toString()).withLabel("Arrival window"));
    }

    /**
     * The destination of a record's file ({@link PartitionedFiles#destination}), batch and stream.
     */
    private SerializableFunction<QuarantineRecord, String> destination() {
      int shards = numShards();
      return q ->
          PartitionedFiles.destination(
              q.original().receivedAtMillis(), q.original().source().describe(), shards);
    }

    /** The naming of a destination's files ({@link PartitionedFiles#naming}), batch and stream. */
    private SerializableFunction<String, FileIO.Write.FileNaming> naming() {
      int shards = numShards();
      long generation = generation();
      return d -> PartitionedFiles.naming(d, FILE_PREFIX, generation, shards, FILE_SUFFIX);
    }

    /** Each record as its line, keyed by the destination of its file. */
    private static final class LineByFileFn extends DoFn<QuarantineRecord, KV<String, String>> {
      private static final long serialVersionUID = 1L;
      private final SerializableFunction<QuarantineRecord, String> destination;

      LineByFileFn(SerializableFunction<QuarantineRecord, String> destination) {
        this.destination = destination;
      }

      @ProcessElement
      public void processElement(
          @Element QuarantineRecord record, OutputReceiver<KV<String, String>> out) {
        out.output(KV.of(destination.apply(record), QuarantineJson.toJsonLine(record)));
      }
    }

    /**
     * Makes the local quarantine directory owner-only before the writer creates it, and counts the
     * records.
     */
    private static final class PrepareFn extends DoFn<QuarantineRecord, QuarantineRecord> {
      private static final long serialVersionUID = 1L;
      private final String prefix;
      private final Counter records = Metrics.counter(METRICS_NAMESPACE, RECORDS_COUNTER);

      PrepareFn(String prefix) {
        this.prefix = prefix;
      }

      @Setup
      public void setup() throws IOException {
        PartitionedFiles.ensurePrivateLocalDirectory(prefix);
      }

      @ProcessElement
      public void processElement(
          @Element QuarantineRecord record, OutputReceiver<QuarantineRecord> out) {
        records.inc();
        out.output(record);
      }
    }
  }

  /**
   * Reads quarantined records back as the {@link RawRecord}s they were when they arrived, for
   * re-validation after a fix (a schema change, a raised size limit): the original bytes, the
   * original source coordinate and the original <b>arrival</b> time, which is also the element
   * timestamp. Reads the quarantine files of the {@code dt=YYYY-MM-DD} partitions (ARRIVAL dates)
   * of a range ({@code <prefix>/dt=D/hr=HH/quarantine-*.jsonl}) through Beam's {@code FileSystems},
   * one glob per date, so local directories and registered file systems ({@code s3://}) work alike.
   *
   * <p>Payloads are never logged; a line that cannot be parsed fails the job with its file and the
   * field at fault, never its content. {@link #withRange} is required; {@code expand} names it if
   * it is missing. Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #RECORDS_READ}.
   */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, PCollection<RawRecord>> {
    private static final long serialVersionUID = 1L;

    public static final String METRICS_NAMESPACE = "quarantine_replay";
    public static final String RECORDS_READ = "records_read";

    abstract String prefix();

    abstract @Nullable ReplayScope range();

    abstract Builder toBuilder();

    /** The UTC arrival dates to read, both included. */
    public Read withRange(ReplayScope range) {
      return toBuilder().setRange(range).build();
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setPrefix(String value);

      abstract Builder setRange(ReplayScope value);

      abstract Read build();
    }

    @Override
    public PCollection<RawRecord> expand(PBegin begin) {
      if (prefix() == null || prefix().isEmpty()) {
        throw new IllegalArgumentException(
            "QuarantineIO.read(prefix) needs a non-empty directory or URI prefix");
      }
      ReplayScope range = range();
      if (range == null) {
        throw new IllegalArgumentException(
            "QuarantineIO.read needs the arrival dates to read: use withRange(ReplayScope)");
      }
      return begin
          .apply(
              "QuarantinePartitionGlobs",
              Create.of(partitionGlobs(prefix(), range)).withCoder(StringUtf8Coder.of()))
          .apply(
              "MatchQuarantineFiles",
              FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
          .apply("OpenQuarantineFiles", FileIO.readMatches())
          .apply("ReadQuarantineLines", TextIO.readFiles())
          .apply("ToOriginalRecords", ParDo.of(new ToOriginalFn()))
          .setCoder(RawRecordCoder.of());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(
          DisplayData.item("prefix", PartitionedFiles.displayable(prefix()))
              .withLabel("Quarantine prefix"));
      if (range() != null) {
        builder.add(DisplayData.item("range", range().toString()).withLabel("Arrival dates"));
      }
    }

    private static final class ToOriginalFn extends DoFn<String, RawRecord> {
      private static final long serialVersionUID = 1L;
      private final Counter read = Metrics.counter(METRICS_NAMESPACE, RECORDS_READ);

      @ProcessElement
      public void processElement(@Element String line, OutputReceiver<RawRecord> out) {
        if (line.isEmpty()) {
          return;
        }
        // fromJsonLine's messages name the field at fault, never the payload.
        QuarantineRecord q = QuarantineJson.fromJsonLine(line);
        read.inc();
        out.outputWithTimestamp(q.original(), new Instant(q.original().receivedAtMillis()));
      }
    }
  }
}
