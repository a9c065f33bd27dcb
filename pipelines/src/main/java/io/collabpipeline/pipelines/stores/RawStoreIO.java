package io.collabpipeline.pipelines.stores;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.api.Binary;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The raw store: every accepted, PII-minimized event as Parquet (columns of {@link RawStoreSchema})
 * under a local directory or any Beam file system prefix ({@code s3://bucket/raw}), partitioned
 * Hive-style by the event's {@code occurred_at} UTC date and hour ({@code
 * <prefix>/dt=YYYY-MM-DD/hr=HH/...}). It is the replayable history of the pipeline; this class is
 * the one way in and out of it:
 *
 * <ul>
 *   <li>{@link #write} ({@link Write}): the live graph's write. Every event handed to it is
 *       written, however late it occurred, under file names that carry the writer's generation:
 *       append-only, no other job, restart or replay ever writes (or deletes) the same name. {@link
 *       #arrivalTimesOfWrittenFile} reads a committed file's arrival times back, which is how
 *       {@code raw_written} counts what the store durably holds.
 *   <li>{@link #read} ({@link Read}): the events of a range of event dates, each as it was written
 *       and timestamped with its original arrival time, for a bounded replay. {@link
 *       #datesWithoutFiles} tells a driver beforehand which dates of a range have nothing to
 *       replay.
 *   <li>{@link #writeRevalidated} ({@link WriteRevalidated}): re-validated quarantine records,
 *       added next to the live files under names of their own (with the quarantine replay's
 *       generation) that never collide with the live ones nor with another replay's.
 * </ul>
 *
 * <pre>{@code
 * // the live graph: events timestamped with their arrival time
 * RawStoreIO.WriteResult raw =
 *     unique.apply("WriteRawArchive",
 *         RawStoreIO.write("s3://bucket/raw").withGeneration(config.generation()).withNumShards(4));
 * // completeness: one tick per row of every committed file, at the row's arrival time
 * raw.files()
 *     .apply("CountRawWritten",
 *         CompletenessTicks.ofEach(Stage.RAW_WRITTEN, RawStoreIO::arrivalTimesOfWrittenFile));
 *
 * // a replay of the events that occurred on two dates
 * PCollection<CollabEvent> replayed =
 *     pipeline.apply("ReadRawStore", RawStoreIO.read("s3://bucket/raw")
 *         .withRange(ReplayScope.of(LocalDate.parse("2026-11-02"), LocalDate.parse("2026-11-03"))));
 *
 * // a quarantine replay: the events that now pass validation
 * revalidated.apply("WriteRevalidatedRaw",
 *     RawStoreIO.writeRevalidated("s3://bucket/raw").withGeneration(config.generation()));
 * }</pre>
 *
 * <p>Every transform reads and writes through Beam's {@code FileSystems}, so a non-local prefix
 * works once its file system is registered ({@code S3Setup.configure} for {@code s3://}). Metric
 * names are constants of each transform ({@link Write#METRICS_NAMESPACE}, {@link
 * Read#METRICS_NAMESPACE}, {@link WriteRevalidated#METRICS_NAMESPACE}). The inner step names and
 * the names of the DoFns are part of the graph's step names, on which Flink savepoints depend: do
 * not rename them.
 */
public final class RawStoreIO {
  private RawStoreIO() {}

  /**
   * Writes accepted events to the raw store under {@code prefix}: a local directory or a file
   * system URI prefix.
   */
  public static Write write(String prefix) {
    return new AutoValue_RawStoreIO_Write.Builder()
        .setPrefix(prefix)
        .setGeneration(0L)
        .setNumShards(1)
        .setWindowSize(Duration.standardMinutes(1))
        .setAllowedLateness(Write.DEFAULT_ALLOWED_LATENESS)
        .setCompression(CompressionCodecName.SNAPPY)
        .setMetricsNamespace(Write.METRICS_NAMESPACE)
        .setChunkEvents(RawChunks.MAX_EVENTS)
        .setChunkBytes(RawChunks.MAX_CHUNK_BYTES)
        .setBufferedBytes(RawChunks.MAX_BUFFERED_BYTES)
        .build();
  }

  /**
   * Reads the raw store under {@code prefix} (a directory or a file system URI prefix) back into
   * events; set the event dates with {@link Read#withRange}.
   */
  public static Read read(String prefix) {
    return new AutoValue_RawStoreIO_Read.Builder()
        .setPrefix(prefix)
        .setMetricColumnsOnly(false)
        .build();
  }

  /**
   * Adds re-validated quarantine records, as events, to the raw store under {@code prefix}; set the
   * writer's generation with {@link WriteRevalidated#withGeneration}.
   */
  public static WriteRevalidated writeRevalidated(String prefix) {
    return new AutoValue_RawStoreIO_WriteRevalidated(prefix, 0L);
  }

  /**
   * The dates of {@code range} whose partition holds no Parquet file under {@code prefix}, in date
   * order: a replay would empty their windows, so drivers refuse such a range.
   */
  public static List<LocalDate> datesWithoutFiles(String prefix, ReplayScope range)
      throws IOException {
    List<LocalDate> empty = new ArrayList<>();
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      MatchResult m = FileSystems.match(partitionGlob(prefix, d), EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        empty.add(d);
      }
    }
    return empty;
  }

  /** The bytes of every Parquet file of the dates of {@code range} (a replay's input). */
  public static long bytesOf(String prefix, ReplayScope range) throws IOException {
    long bytes = 0;
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      MatchResult m = FileSystems.match(partitionGlob(prefix, d), EmptyMatchTreatment.ALLOW);
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata f : m.metadata()) {
          bytes += f.sizeBytes();
        }
      }
    }
    return bytes;
  }

  /**
   * The arrival times ({@code received_at}, UTC epoch milliseconds) of every row of one committed
   * raw-store file, in file order: how {@code raw_written} counts what the store durably holds, one
   * tick per row at its arrival, from the files {@link Write} committed ({@code
   * WriteResult.files()}: destination to file name). Reads the {@code received_at} column only,
   * through Beam's {@code FileSystems}; a file that cannot be read fails the bundle (and the runner
   * retries it), never counts as zero.
   */
  public static List<Long> arrivalTimesOfWrittenFile(KV<String, String> destinationAndFile) {
    try {
      return arrivalTimes(destinationAndFile.getValue());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read back the raw store file " + destinationAndFile.getValue(), e);
    }
  }

  /**
   * The {@code payload_json} of every event of type {@code eventType} that occurred on the dates of
   * {@code range}, by event id (copies of one event written by several writers appear once), in
   * plain Java without a pipeline: what a tool that acts on a rare event type (the erasure job on
   * {@code user.erasure_requested}) reads. Reads the columns {@code event_id}, {@code event_type}
   * and {@code payload_json} only, through Beam's {@code FileSystems} (local or {@code s3://} once
   * registered), skipping rows of other types by a Parquet record filter.
   */
  public static Map<String, String> payloadsOfType(
      String prefix, ReplayScope range, String eventType) throws IOException {
    Configuration conf = new Configuration();
    AvroReadSupport.setRequestedProjection(conf, TYPED_PAYLOAD);
    AvroReadSupport.setAvroReadSchema(conf, TYPED_PAYLOAD);
    FilterCompat.Filter filter =
        FilterCompat.get(
            FilterApi.eq(FilterApi.binaryColumn(EVENT_TYPE), Binary.fromString(eventType)));
    Map<String, String> out = new LinkedHashMap<>();
    for (String glob : partitionGlobs(prefix, range)) {
      MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK) {
        continue;
      }
      List<String> files = new ArrayList<>();
      for (MatchResult.Metadata f : m.metadata()) {
        files.add(f.resourceId().toString());
      }
      files.sort(null);
      for (String file : files) {
        try (ParquetReader<GenericRecord> reader =
            AvroParquetReader.<GenericRecord>builder(BeamInputFile.of(file))
                .withDataModel(GenericData.get())
                .withConf(conf)
                .withFilter(filter)
                .build()) {
          for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
            if (eventType.equals(String.valueOf(row.get(EVENT_TYPE)))) {
              out.putIfAbsent(
                  String.valueOf(row.get(EVENT_ID)), String.valueOf(row.get(PAYLOAD_JSON)));
            }
          }
        }
      }
    }
    return out;
  }

  private static final String EVENT_ID = "event_id";
  private static final String EVENT_TYPE = "event_type";
  private static final String PAYLOAD_JSON = "payload_json";

  /** The raw store's schema reduced to what {@link #payloadsOfType} reads. */
  private static final Schema TYPED_PAYLOAD =
      RawStoreSchema.projection(List.of(EVENT_ID, EVENT_TYPE, PAYLOAD_JSON));

  /** The {@code received_at} of every row of the Parquet file {@code file}, in file order. */
  static List<Long> arrivalTimes(String file) throws IOException {
    List<Long> arrivals = new ArrayList<>();
    try (ParquetReader<GenericRecord> reader =
        AvroParquetReader.<GenericRecord>builder(BeamInputFile.of(file), ARRIVAL_CONF.get())
            .withDataModel(GenericData.get())
            .build()) {
      for (GenericRecord row = reader.read(); row != null; row = reader.read()) {
        arrivals.add((Long) row.get(RECEIVED_AT));
      }
    }
    return arrivals;
  }

  private static final String RECEIVED_AT = "received_at";

  /** The raw store's schema reduced to {@code received_at}: what counting a file reads. */
  private static final Schema ARRIVAL_ONLY = RawStoreSchema.projection(List.of(RECEIVED_AT));

  /**
   * The reader configuration of {@link #arrivalTimes}, one per thread and built once: a Hadoop
   * {@code Configuration} parses its default resources (XML from the class path) when created,
   * about 5 ms each on the build machine. Reading back the 220 files of a 287,875-event store took
   * 2,238 ms (warmed) with a new configuration per file and takes 149 ms with this one. Not shared
   * between threads: a reader's builder writes its settings into the configuration it is given.
   */
  private static final ThreadLocal<ParquetConfiguration> ARRIVAL_CONF =
      ThreadLocal.withInitial(
          () -> {
            Configuration c = new Configuration();
            AvroReadSupport.setRequestedProjection(c, ARRIVAL_ONLY);
            AvroReadSupport.setAvroReadSchema(c, ARRIVAL_ONLY);
            return new HadoopParquetConfiguration(c);
          });

  /** The glob of the Parquet files of one event-date partition under {@code prefix}. */
  static String partitionGlob(String prefix, LocalDate date) {
    return PartitionedFiles.asDirectory(prefix) + "dt=" + date + "/hr=*/*.parquet";
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
   * Writes accepted events to the raw store: {@code <prefix>/dt=YYYY-MM-DD/hr=HH/part-<arrival
   * minute>-g<generation>-p<pane>-<shard>-of-<n>.parquet}, partitioned by the event's {@code
   * occurred_at}.
   *
   * <p><b>Windowing.</b> The input is timestamped with arrival time. The write windows it into
   * fixed windows of arrival time (one minute by default), so in streaming each window's files are
   * finalized as the watermark passes it; nothing is late for the raw store however late the event
   * occurred. An element whose arrival time is nevertheless behind the watermark (a CreateTime
   * topic, a broker clock behind the reader's) is still written, in a later pane's file (the
   * default trigger fires once per late arrival), within the allowed lateness ({@link
   * #withAllowedLateness}, {@link #DEFAULT_ALLOWED_LATENESS} by default); beyond it the runner
   * drops it and counts it in {@code droppedDueToLateness} of this step, which the run summary
   * reports.
   *
   * <p><b>Append-only names.</b> Every event goes to one of a fixed number of shards chosen from
   * its event id ({@link #withNumShards}, default 1), and a file is named by its partition, arrival
   * window, the writer's generation ({@link #withGeneration}, required), pane index and shard. Two
   * writers (two generations: a restarted job, a second run over the same arrival minutes) never
   * share a name, so neither replaces the other's file; copies of an event in both are harmless,
   * since every replay deduplicates by event id. Within one generation the names are deterministic,
   * so a Flink restore from a checkpoint of the same job rewrites a window's file under the same
   * name: the restored execution re-reads every record after the checkpoint, so the file it writes
   * holds every record of that window and pane it saw, and a record it fires in another pane than
   * the first execution did lands in that pane's file (a copy at most, never a loss). (A writer
   * with a different shard count writes different names.)
   *
   * <p><b>Batch inputs in chunks.</b> A bounded input in a batch pipeline reaches the grouping into
   * files in chunks of events per file ({@link RawChunks}): the same rows under the same names,
   * with one element per chunk, not per event, in the grouping, which on Flink's batch runner is a
   * sort. Its files are written by {@link BoundedFiles}, not Beam's {@code WriteFiles}: the same
   * names (pane 0, the one pane a bounded grouping fires), all committed at once when every one is
   * written, in a few Flink tasks instead of two dozen. A streaming pipeline groups each event on
   * its own through {@code WriteFiles}, as its checkpoints and savepoints hold them (and under the
   * step names they were taken of).
   *
   * <p>{@link WriteResult#written()} holds the events handed to the writer (an identity
   * pass-through right before the write, in the input's windowing); {@link WriteResult#files()} the
   * files it committed, per destination, from which {@code raw_written} is counted ({@link
   * RawStoreIO#arrivalTimesOfWrittenFile}). Metrics: namespace {@value #METRICS_NAMESPACE}, counter
   * {@value #RECORDS_COUNTER} (events handed to the writer). A missing or invalid option fails
   * {@code expand} with a message naming the {@code withX()} to fix.
   */
  @AutoValue
  public abstract static class Write extends PTransform<PCollection<CollabEvent>, WriteResult> {
    private static final long serialVersionUID = 1L;

    public static final String METRICS_NAMESPACE = "raw_archive";
    public static final String RECORDS_COUNTER = "records";

    /**
     * How long behind the watermark an event is still written, in a late pane's file, by default: 7
     * days. An event of the raw store's arrival window is behind the watermark only when its
     * arrival time is (a CreateTime topic's producer clock, a broker clock behind the reader's);
     * the state this keeps is a few entries per partition, shard and minute that received events,
     * small next to the dedup's per-id state. An event later than this is dropped by the runner,
     * which counts it in {@code droppedDueToLateness} of this transform's step; {@code raw_written}
     * does not count it, since it counts the rows of the committed files.
     */
    public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.standardDays(7);

    static final String FILE_PREFIX = "part";
    static final String FILE_SUFFIX = ".parquet";

    abstract String prefix();

    abstract long generation();

    abstract int numShards();

    abstract Duration windowSize();

    abstract Duration allowedLateness();

    abstract CompressionCodecName compression();

    abstract String metricsNamespace();

    abstract int chunkEvents();

    abstract int chunkBytes();

    abstract long bufferedBytes();

    abstract Builder toBuilder();

    /**
     * The namespace of this writer's {@value #RECORDS_COUNTER} counter; default {@value
     * #METRICS_NAMESPACE}. A second writer of the same layout (the duplicate ledger) counts apart.
     */
    public Write withMetricsNamespace(String namespace) {
      return toBuilder().setMetricsNamespace(namespace).build();
    }

    /**
     * The writer's generation ({@code GraphConfig.generation()}), a positive number: every file
     * name carries it, so that no other job, restart or replay ever writes the same name. Required.
     */
    public Write withGeneration(long generation) {
      return toBuilder().setGeneration(generation).build();
    }

    /** Files per partition, window and pane; events are spread over them by event id. Default 1. */
    public Write withNumShards(int numShards) {
      return toBuilder().setNumShards(numShards).build();
    }

    /** Size of the arrival-time windows after which files are finalized. Default one minute. */
    public Write withWindowSize(Duration windowSize) {
      return toBuilder().setWindowSize(windowSize).build();
    }

    /**
     * How long behind the watermark an element is still written (in a late pane's file). Default
     * {@link #DEFAULT_ALLOWED_LATENESS}.
     */
    public Write withAllowedLateness(Duration allowedLateness) {
      return toBuilder().setAllowedLateness(allowedLateness).build();
    }

    /** Parquet compression codec. Default SNAPPY. */
    public Write withCompression(CompressionCodecName compression) {
      return toBuilder().setCompression(compression).build();
    }

    /**
     * Other limits for a bounded write's chunks than {@link RawChunks}' (for tests, which reach
     * them with a few events).
     */
    Write withChunkLimits(int events, int bytes, long buffered) {
      return toBuilder()
          .setChunkEvents(events)
          .setChunkBytes(bytes)
          .setBufferedBytes(buffered)
          .build();
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setPrefix(String value);

      abstract Builder setGeneration(long value);

      abstract Builder setNumShards(int value);

      abstract Builder setWindowSize(Duration value);

      abstract Builder setAllowedLateness(Duration value);

      abstract Builder setCompression(CompressionCodecName value);

      abstract Builder setMetricsNamespace(String value);

      abstract Builder setChunkEvents(int value);

      abstract Builder setChunkBytes(int value);

      abstract Builder setBufferedBytes(long value);

      abstract Write build();
    }

    @Override
    public WriteResult expand(PCollection<CollabEvent> events) {
      PartitionedFiles.checkOptions(
          "RawStoreIO", prefix(), generation(), numShards(), windowSize(), allowedLateness());
      PCollection<CollabEvent> written =
          events.apply("CountRawRecords", ParDo.of(new CountRecordsFn(metricsNamespace())));
      PCollection<KV<String, String>> files =
          BatchGrouping.isBoundedBatch(written)
              ? writeChunks(written)
              : writeEvents(written).getPerDestinationOutputFilenames();
      return new WriteResult(written, files);
    }

    /** A stream's input (or an unbounded one): each event grouped into its file on its own. */
    private WriteFilesResult<String> writeEvents(PCollection<CollabEvent> events) {
      int shards = numShards();
      return events
          .apply(
              "WindowByArrival",
              PartitionedFiles.<CollabEvent>arrivalWindows(windowSize(), allowedLateness()))
          .apply(
              "WriteParquet",
              parquetFiles(
                  e -> PartitionedFiles.destination(e.occurredAtMillis(), e.eventId(), shards),
                  new RawParquetSink(compression())));
    }

    /**
     * A bounded input of a batch pipeline: events grouped into their files in chunks ({@link
     * RawChunks}), the same rows under the same names as {@link #writeEvents}, with one element per
     * chunk in the grouping.
     */
    private PCollection<KV<String, String>> writeChunks(PCollection<CollabEvent> events) {
      PCollection<CollabEvent> global =
          events.getWindowingStrategy().getWindowFn() instanceof GlobalWindows
              ? events
              : events.apply("ChunkInGlobalWindow", Window.into(new GlobalWindows()));
      return global
          .apply(
              "ChunkByFile",
              ParDo.of(
                  new RawChunks.ChunkFn(
                      windowSize(), numShards(), chunkEvents(), chunkBytes(), bufferedBytes())))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()))
          .apply(
              "WriteParquet",
              new BoundedFiles<>(
                  prefix(),
                  naming(),
                  windowSize(),
                  allowedLateness(),
                  new RawChunks.ChunkSink(new RawParquetSink(compression())),
                  true));
    }

    /**
     * The Parquet files of {@code sink}'s elements, each in the destination {@code destination}
     * gives it, named by {@link PartitionedFiles#naming}: one writer shard per destination, the
     * event-id shard being part of the destination.
     */
    private <T> FileIO.Write<String, T> parquetFiles(
        SerializableFunction<T, String> destination, FileIO.Sink<T> sink) {
      return FileIO.<String, T>writeDynamic()
          .by(destination)
          .withDestinationCoder(StringUtf8Coder.of())
          .via(sink)
          .to(prefix())
          .withNaming(naming())
          .withNumShards(1);
    }

    /** The naming of a destination's files ({@link PartitionedFiles#naming}), batch and stream. */
    private SerializableFunction<String, FileIO.Write.FileNaming> naming() {
      int shards = numShards();
      long generation = generation();
      return d -> PartitionedFiles.naming(d, FILE_PREFIX, generation, shards, FILE_SUFFIX);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(
              DisplayData.item("prefix", PartitionedFiles.displayable(prefix()))
                  .withLabel("Raw store prefix"))
          .add(DisplayData.item("generation", generation()).withLabel("Writer's generation"))
          .add(
              DisplayData.item("numShards", numShards())
                  .withLabel("Shards per partition and window"))
          .add(DisplayData.item("windowSize", windowSize().toString()).withLabel("Arrival window"))
          .add(
              DisplayData.item("compression", compression().name())
                  .withLabel("Parquet compression"));
    }

    private static final class CountRecordsFn extends DoFn<CollabEvent, CollabEvent> {
      private static final long serialVersionUID = 1L;
      private final Counter records;

      CountRecordsFn(String namespace) {
        this.records = Metrics.counter(namespace, RECORDS_COUNTER);
      }

      @ProcessElement
      public void processElement(@Element CollabEvent event, OutputReceiver<CollabEvent> out) {
        records.inc();
        out.output(event);
      }
    }
  }

  /** What {@link Write} produced: the events it was handed and the files it finalized. */
  public static final class WriteResult implements POutput {
    private static final TupleTag<CollabEvent> WRITTEN_TAG =
        new TupleTag<CollabEvent>("written") {};
    private static final TupleTag<KV<String, String>> FILES_TAG =
        new TupleTag<KV<String, String>>("files") {};
    private final PCollection<CollabEvent> written;
    private final PCollection<KV<String, String>> files;

    WriteResult(PCollection<CollabEvent> written, PCollection<KV<String, String>> files) {
      this.written = written;
      this.files = files;
    }

    /** The events handed to the Parquet writer, in the input's windowing. */
    public PCollection<CollabEvent> written() {
      return written;
    }

    /**
     * The files the write committed, each as {@code KV<destination, file>} (the destination {@code
     * dt=..../hr=..|shard}, in a batch job with its arrival window): a stream's as each window's
     * files are finalized, a batch job's once all are.
     */
    public PCollection<KV<String, String>> files() {
      return files;
    }

    @Override
    public Pipeline getPipeline() {
      return written.getPipeline();
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new LinkedHashMap<>();
      out.put(WRITTEN_TAG, written);
      out.put(FILES_TAG, files);
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /**
   * Reads the raw store back for a bounded replay: every Parquet file of the {@code dt=YYYY-MM-DD}
   * partitions of a range of UTC dates ({@code <prefix>/dt=D/hr=HH/*.parquet}), each row turned
   * back into the {@link CollabEvent} it was ({@link RawStoreSchema#fromRecord}) and timestamped
   * with its original <b>arrival</b> time, as every source of the graph is. The raw store is
   * partitioned by {@code occurred_at}, so the range yields exactly the events that occurred on
   * those dates: every metric window that starts in the range is complete.
   *
   * <p>The files are matched per date partition through Beam's {@code FileSystems} (one glob per
   * date), so a local directory and any registered file system prefix ({@code s3://bucket/raw})
   * work alike; a date with no files yields nothing (the job's driver checks the partitions exist
   * before it starts, {@link RawStoreIO#datesWithoutFiles}). The events were validated and
   * minimized when they were first accepted: a replay enters the graph after validation. Events are
   * not deduplicated here: the raw store may hold the same id twice (a re-delivery after the dedup
   * horizon, a re-validated quarantine record), and the graph's {@code DedupByEventId} keeps one.
   *
   * <p>{@link #withRange} is required; {@code expand} names it if it is missing. Metrics: namespace
   * {@value #METRICS_NAMESPACE}, counter {@value #EVENTS_READ}.
   */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, PCollection<CollabEvent>> {
    private static final long serialVersionUID = 1L;

    public static final String METRICS_NAMESPACE = "raw_replay";
    public static final String EVENTS_READ = "events_read";

    abstract String prefix();

    abstract @Nullable ReplayScope range();

    abstract boolean metricColumnsOnly();

    abstract Builder toBuilder();

    /** The UTC dates (event date, {@code occurred_at}) to read, both included. */
    public Read withRange(ReplayScope range) {
      return toBuilder().setRange(range).build();
    }

    /**
     * Reads only {@link RawStoreSchema#METRIC_COLUMNS} (a Parquet column projection: the other
     * columns, the payload above all, are never decoded) into narrow events ({@link
     * MetricColumnsReadSupport}: the unread fields empty), for a replay that only recomputes the
     * metrics. Each file is read whole by one worker; the files are spread over the workers.
     */
    public Read withMetricColumnsOnly() {
      return toBuilder().setMetricColumnsOnly(true).build();
    }

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setPrefix(String value);

      abstract Builder setRange(ReplayScope value);

      abstract Builder setMetricColumnsOnly(boolean value);

      abstract Read build();
    }

    @Override
    public PCollection<CollabEvent> expand(PBegin begin) {
      if (prefix() == null || prefix().isEmpty()) {
        throw new IllegalArgumentException(
            "RawStoreIO.read(prefix) needs a non-empty directory or URI prefix");
      }
      ReplayScope range = range();
      if (range == null) {
        throw new IllegalArgumentException(
            "RawStoreIO.read needs the dates to read: use withRange(ReplayScope)");
      }
      PCollection<FileIO.ReadableFile> files =
          begin
              .apply(
                  "RawPartitionGlobs",
                  Create.of(partitionGlobs(prefix(), range)).withCoder(StringUtf8Coder.of()))
              .apply(
                  "MatchRawFiles",
                  FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
              .apply("OpenRawFiles", FileIO.readMatches());
      if (metricColumnsOnly()) {
        return files
            .apply("ReadRawMetricColumns", ParDo.of(new ReadMetricColumnsFn()))
            .setCoder(CollabEventCoder.of());
      }
      return files
          .apply("ReadRawParquet", ParquetIO.readFiles(RawStoreSchema.SCHEMA))
          .apply("ToEventsAtArrival", ParDo.of(new ToEventFn()))
          .setCoder(CollabEventCoder.of());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(
          DisplayData.item("prefix", PartitionedFiles.displayable(prefix()))
              .withLabel("Raw store prefix"));
      if (range() != null) {
        builder.add(DisplayData.item("range", range().toString()).withLabel("Event dates"));
      }
    }

    /**
     * Reads each file's {@link RawStoreSchema#METRIC_COLUMNS} ({@link MetricColumnsReadSupport})
     * into narrow events at their arrival time: one file per element, read whole, row by row.
     */
    private static final class ReadMetricColumnsFn extends DoFn<FileIO.ReadableFile, CollabEvent> {
      private static final long serialVersionUID = 1L;
      private final Counter read = Metrics.counter(METRICS_NAMESPACE, EVENTS_READ);
      // Built once per instance and handed to every reader: a Hadoop Configuration parses its
      // default resources (XML from the class path) when created, and a reader built without one
      // creates its own, per file.
      private transient @Nullable ParquetConfiguration conf;

      @Setup
      public void setup() {
        conf = new HadoopParquetConfiguration(new Configuration());
      }

      @ProcessElement
      public void processElement(@Element FileIO.ReadableFile file, OutputReceiver<CollabEvent> out)
          throws IOException {
        long n = 0;
        try (ParquetReader<CollabEvent> reader =
            new MetricColumnsReader(BeamInputFile.of(file.getMetadata()), conf).build()) {
          for (CollabEvent event = next(reader, file); event != null; event = next(reader, file)) {
            out.outputWithTimestamp(event, new org.joda.time.Instant(event.receivedAtMillis()));
            n++;
          }
        }
        read.inc(n);
      }

      /**
       * The file's next row, or null at its end. {@link MetricColumnsReadSupport} refuses a file
       * whose columns a replay cannot read when its first row is read, naming the column; the
       * refusal is thrown again with the file's name, and rides along as suppressed rather than as
       * the cause, so that the innermost cause (the one line a failed job prints) names the file.
       * What the steps after the read throw is not caught here.
       */
      private static @Nullable CollabEvent next(
          ParquetReader<CollabEvent> reader, FileIO.ReadableFile file) throws IOException {
        try {
          return reader.read();
        } catch (IllegalStateException notARawStoreFile) {
          IllegalStateException named =
              new IllegalStateException(
                  file.getMetadata().resourceId() + ": " + notARawStoreFile.getMessage());
          named.addSuppressed(notARawStoreFile);
          throw named;
        }
      }
    }

    /** A Parquet reader of the metric columns ({@link MetricColumnsReadSupport}). */
    private static final class MetricColumnsReader extends ParquetReader.Builder<CollabEvent> {
      MetricColumnsReader(InputFile file, ParquetConfiguration conf) {
        super(file, conf);
      }

      @Override
      protected ReadSupport<CollabEvent> getReadSupport() {
        return new MetricColumnsReadSupport();
      }
    }

    private static final class ToEventFn extends DoFn<GenericRecord, CollabEvent> {
      private static final long serialVersionUID = 1L;
      private final Counter read = Metrics.counter(METRICS_NAMESPACE, EVENTS_READ);

      @ProcessElement
      public void processElement(@Element GenericRecord record, OutputReceiver<CollabEvent> out) {
        CollabEvent event = RawStoreSchema.fromRecord(record);
        read.inc();
        // Arrival time, as every source: dedup keeps the earliest arrival and the raw branch's
        // clock is arrival time.
        out.outputWithTimestamp(event, new org.joda.time.Instant(event.receivedAtMillis()));
      }
    }
  }

  /**
   * Adds re-validated quarantine records, as events, to the raw store: the same Parquet columns
   * ({@link RawStoreSchema}) and the same {@code dt=YYYY-MM-DD/hr=HH} partitions by {@code
   * occurred_at} as {@link Write}, so a {@link Read} of the event dates reads them with everything
   * else.
   *
   * <p><b>Append-only names, never the live write's.</b> Each file is named by its partition, the
   * ARRIVAL date of its events and the generation of the quarantine replay that writes it ({@link
   * #withGeneration}, required): {@code <prefix>/dt=D/hr=HH/revalidated-a<arrival
   * date>-g<generation>.parquet}. A second quarantine replay of the same dates (a new generation)
   * adds its own files next to the first one's and replaces none: an event the first one added
   * stays even if the second no longer passes it, and an event both added is read twice by a raw
   * replay, whose dedup by event id keeps one. The {@code revalidated-} prefix never collides with
   * the live {@code part-} files, which are never touched. Bounded input only (one file per
   * destination, global window).
   *
   * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #EVENTS_WRITTEN}, and per
   * event date {@value #EVENTS_WRITTEN}{@code .YYYY-MM-DD} (the dates a raw replay must then
   * cover).
   */
  @AutoValue
  public abstract static class WriteRevalidated
      extends PTransform<PCollection<CollabEvent>, WriteFilesResult<String>> {
    private static final long serialVersionUID = 1L;

    public static final String METRICS_NAMESPACE = "quarantine_replay";
    public static final String EVENTS_WRITTEN = "events_written";
    static final String FILE_PREFIX = "revalidated-a";

    private static final DateTimeFormatter DATE =
        DateTimeFormatter.ofPattern("uuuu-MM-dd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter COMPACT_DATE =
        DateTimeFormatter.ofPattern("uuuuMMdd").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR =
        DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);

    abstract String prefix();

    abstract long generation();

    /**
     * The generation of the quarantine replay that writes ({@code GraphConfig.generation()}), a
     * positive number: every file name carries it, so a second replay of the same arrival dates
     * adds files next to the first one's instead of replacing them. Required.
     */
    public WriteRevalidated withGeneration(long generation) {
      return new AutoValue_RawStoreIO_WriteRevalidated(prefix(), generation);
    }

    /**
     * {@code dt=YYYY-MM-DD/hr=HH|yyyyMMdd}: the event-time partition and the arrival date of an
     * event.
     */
    static String destination(CollabEvent e) {
      Instant occurred = Instant.ofEpochMilli(e.occurredAtMillis());
      return "dt="
          + DATE.format(occurred)
          + "/hr="
          + HOUR.format(occurred)
          + "|"
          + COMPACT_DATE.format(Instant.ofEpochMilli(e.receivedAtMillis()));
    }

    @Override
    public WriteFilesResult<String> expand(PCollection<CollabEvent> events) {
      if (prefix() == null || prefix().isEmpty()) {
        throw new IllegalArgumentException(
            "RawStoreIO.writeRevalidated(prefix) needs a non-empty directory or URI prefix");
      }
      PartitionedFiles.checkGeneration("RawStoreIO.writeRevalidated", generation());
      long generation = generation();
      return events
          .apply("CountRevalidated", ParDo.of(new CountFn()))
          .apply(
              "WriteRevalidatedParquet",
              FileIO.<String, CollabEvent>writeDynamic()
                  .by(WriteRevalidated::destination)
                  .withDestinationCoder(StringUtf8Coder.of())
                  // ParquetIO.sink's codec, as before.
                  .via(new RawParquetSink(CompressionCodecName.SNAPPY))
                  .to(prefix())
                  .withNaming(d -> new Naming(d, generation))
                  .withNumShards(1));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(
              DisplayData.item("prefix", PartitionedFiles.displayable(prefix()))
                  .withLabel("Raw store prefix"))
          .add(DisplayData.item("generation", generation()).withLabel("Writer's generation"));
    }

    private static final class Naming implements FileIO.Write.FileNaming {
      private static final long serialVersionUID = 1L;
      private final String destination;
      private final long generation;

      Naming(String destination, long generation) {
        this.destination = destination;
        this.generation = generation;
      }

      @Override
      public String getFilename(
          BoundedWindow window,
          PaneInfo pane,
          int numShards,
          int shardIndex,
          Compression compression) {
        int sep = destination.lastIndexOf('|');
        return destination.substring(0, sep)
            + "/"
            + FILE_PREFIX
            + destination.substring(sep + 1)
            + "-g"
            + generation
            + ".parquet";
      }
    }

    private static final class CountFn extends DoFn<CollabEvent, CollabEvent> {
      private static final long serialVersionUID = 1L;
      private final Counter written = Metrics.counter(METRICS_NAMESPACE, EVENTS_WRITTEN);

      @ProcessElement
      public void processElement(@Element CollabEvent e, OutputReceiver<CollabEvent> out) {
        written.inc();
        String date = DATE.format(Instant.ofEpochMilli(e.occurredAtMillis()));
        Metrics.counter(METRICS_NAMESPACE, EVENTS_WRITTEN + "." + date).inc();
        out.output(e);
      }
    }
  }
}
