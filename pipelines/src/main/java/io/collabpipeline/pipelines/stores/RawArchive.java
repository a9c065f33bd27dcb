package io.collabpipeline.pipelines.stores;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.joda.time.Duration;

/**
 * Writes accepted events to the raw archive: Parquet files (columns of {@link RawArchiveSchema}) under a local
 * directory or any Beam file system prefix ({@code s3://bucket/raw}), partitioned Hive-style by the event's
 * {@code occurred_at} UTC date and hour: {@code <prefix>/dt=YYYY-MM-DD/hr=HH/part-<arrival minute>-p<pane>-<shard>-of-<n>.parquet}.
 *
 * <p><b>Windowing.</b> The input is timestamped with arrival time. The sink windows it into fixed windows of arrival
 * time (one minute by default), so in streaming each window's files are finalized as the watermark passes it; nothing
 * is late for the archive however late the event occurred. An element that is nevertheless behind the watermark (a
 * runner artifact, not a property of the data) is still written, in a later pane's file, within the allowed lateness
 * ({@link #withAllowedLateness}, one hour by default).
 *
 * <p><b>Idempotence.</b> File names are deterministic: every event goes to one of a fixed number of shards chosen from
 * its event id ({@link #withNumShards}, default 1), and a file is named by its partition, arrival window, pane index
 * and shard. A retried or re-run write of the same input therefore produces the same file names with the same rows
 * and overwrites them instead of adding duplicates. (A re-run with a different shard count writes different names.)
 *
 * <p>{@link Result#written()} holds the events handed to the writer (an identity pass-through right before the write,
 * in the input's windowing), for completeness counting. Metrics: namespace {@value #METRICS_NAMESPACE}, counter
 * {@value #RECORDS_COUNTER}.
 */
@AutoValue
public abstract class RawArchive extends PTransform<PCollection<CollabEvent>, RawArchive.Result> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "raw_archive";
  public static final String RECORDS_COUNTER = "records";

  static final String FILE_PREFIX = "part";
  static final String FILE_SUFFIX = ".parquet";

  abstract String prefix();

  abstract int numShards();

  abstract Duration windowSize();

  abstract Duration allowedLateness();

  abstract CompressionCodecName compression();

  abstract Builder toBuilder();

  /** Writes to {@code prefix}: a local directory or a Beam file system URI prefix. */
  public static RawArchive write(String prefix) {
    return new AutoValue_RawArchive.Builder()
        .setPrefix(prefix)
        .setNumShards(1)
        .setWindowSize(Duration.standardMinutes(1))
        .setAllowedLateness(Duration.standardHours(1))
        .setCompression(CompressionCodecName.SNAPPY)
        .build();
  }

  /** Files per partition, window and pane; events are spread over them by event id. Default 1. */
  public RawArchive withNumShards(int numShards) {
    return toBuilder().setNumShards(numShards).build();
  }

  /** Size of the arrival-time windows after which files are finalized. Default one minute. */
  public RawArchive withWindowSize(Duration windowSize) {
    return toBuilder().setWindowSize(windowSize).build();
  }

  /** How long behind the watermark an element is still written (in a late pane's file). Default one hour. */
  public RawArchive withAllowedLateness(Duration allowedLateness) {
    return toBuilder().setAllowedLateness(allowedLateness).build();
  }

  /** Parquet compression codec. Default SNAPPY. */
  public RawArchive withCompression(CompressionCodecName compression) {
    return toBuilder().setCompression(compression).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setPrefix(String value);

    abstract Builder setNumShards(int value);

    abstract Builder setWindowSize(Duration value);

    abstract Builder setAllowedLateness(Duration value);

    abstract Builder setCompression(CompressionCodecName value);

    abstract RawArchive build();
  }

  @Override
  public Result expand(PCollection<CollabEvent> events) {
    PartitionedFiles.checkOptions("RawArchive", prefix(), numShards(), windowSize(), allowedLateness());
    PCollection<CollabEvent> written = events.apply("CountRawRecords", ParDo.of(new CountRecordsFn()));
    int shards = numShards();
    WriteFilesResult<String> files =
        written
            .apply(
                "WindowByArrival",
                PartitionedFiles.<CollabEvent>arrivalWindows(windowSize(), allowedLateness()))
            .apply(
                "WriteParquet",
                FileIO.<String, CollabEvent>writeDynamic()
                    .by(e -> PartitionedFiles.destination(e.occurredAtMillis(), e.eventId(), shards))
                    .withDestinationCoder(StringUtf8Coder.of())
                    .via(
                        Contextful.fn(RawArchiveSchema::toRecord),
                        ParquetIO.sink(RawArchiveSchema.SCHEMA).withCompressionCodec(compression()))
                    .to(prefix())
                    .withNaming(d -> PartitionedFiles.naming(d, FILE_PREFIX, shards, FILE_SUFFIX))
                    .withNumShards(1));
    return new Result(written, files);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("prefix", prefix()).withLabel("Raw archive prefix"))
        .add(DisplayData.item("numShards", numShards()).withLabel("Shards per partition and window"))
        .add(DisplayData.item("windowSize", windowSize().toString()).withLabel("Arrival window"))
        .add(DisplayData.item("compression", compression().name()).withLabel("Parquet compression"));
  }

  /** What the archive write produced. */
  public static final class Result implements POutput {
    private static final TupleTag<CollabEvent> WRITTEN_TAG = new TupleTag<CollabEvent>("written") {};
    private final PCollection<CollabEvent> written;
    private final WriteFilesResult<String> files;

    Result(PCollection<CollabEvent> written, WriteFilesResult<String> files) {
      this.written = written;
      this.files = files;
    }

    /** The events handed to the Parquet writer, in the input's windowing. */
    public PCollection<CollabEvent> written() {
      return written;
    }

    /** The file write itself: per destination ({@code dt=..../hr=..|shard}), the files it finalized. */
    public WriteFilesResult<String> files() {
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
      out.putAll(files.expand());
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, org.apache.beam.sdk.values.PInput input, PTransform<?, ?> transform) {}
  }

  private static final class CountRecordsFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final Counter records = Metrics.counter(METRICS_NAMESPACE, RECORDS_COUNTER);

    @ProcessElement
    public void processElement(@Element CollabEvent event, OutputReceiver<CollabEvent> out) {
      records.inc();
      out.output(event);
    }
  }
}
