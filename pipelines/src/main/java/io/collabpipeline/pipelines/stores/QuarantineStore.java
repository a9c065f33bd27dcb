package io.collabpipeline.pipelines.stores;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.QuarantineRecord;
import java.io.IOException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Writes rejected records to the quarantine store: JSON lines ({@link QuarantineJson}: reason, detail, ids, source,
 * arrival time and the original bytes in base64) under a local directory or any Beam file system prefix, partitioned
 * by ARRIVAL date and hour: {@code <prefix>/dt=YYYY-MM-DD/hr=HH/quarantine-<arrival minute>-p<pane>-<shard>-of-<n>.jsonl}.
 *
 * <p>The quarantine holds unminimized payloads, so it is access-restricted: a local directory is created (or
 * tightened) with owner-only permissions (0700) where the file system supports it. On S3 ({@code s3://bucket/prefix},
 * set up by {@code S3Setup.configure}) there are no directories and no file modes, so nothing is done here: access
 * must be restricted by the bucket's policy (a bucket or prefix of its own, readable only by the pipeline's role and
 * the on-call role, with a lifecycle rule for its short retention). Payloads are never logged, and nothing here puts
 * one in an exception message.
 *
 * <p>Windowing and idempotence are those of {@link RawStoreIO.Write}: fixed windows of arrival time (one minute by default),
 * a fixed number of shards chosen from the record's source coordinate ({@link #withNumShards}, default 1), and file
 * names fixed by partition, window, pane and shard, so a retried or re-run write of the same input overwrites the same
 * files instead of adding duplicates. Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #RECORDS_COUNTER}.
 */
@AutoValue
public abstract class QuarantineStore
    extends PTransform<PCollection<QuarantineRecord>, WriteFilesResult<String>> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "quarantine";
  public static final String RECORDS_COUNTER = "records";

  static final String FILE_PREFIX = "quarantine";
  static final String FILE_SUFFIX = ".jsonl";

  abstract String prefix();

  abstract int numShards();

  abstract Duration windowSize();

  abstract Duration allowedLateness();

  abstract Builder toBuilder();

  /** Writes to {@code prefix}: a local directory or a Beam file system URI prefix. */
  public static QuarantineStore write(String prefix) {
    return new AutoValue_QuarantineStore.Builder()
        .setPrefix(prefix)
        .setNumShards(1)
        .setWindowSize(Duration.standardMinutes(1))
        .setAllowedLateness(Duration.standardHours(1))
        .build();
  }

  /** Files per partition, window and pane; records are spread over them by source coordinate. Default 1. */
  public QuarantineStore withNumShards(int numShards) {
    return toBuilder().setNumShards(numShards).build();
  }

  /** Size of the arrival-time windows after which files are finalized. Default one minute. */
  public QuarantineStore withWindowSize(Duration windowSize) {
    return toBuilder().setWindowSize(windowSize).build();
  }

  /** How long behind the watermark a record is still written (in a late pane's file). Default one hour. */
  public QuarantineStore withAllowedLateness(Duration allowedLateness) {
    return toBuilder().setAllowedLateness(allowedLateness).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setPrefix(String value);

    abstract Builder setNumShards(int value);

    abstract Builder setWindowSize(Duration value);

    abstract Builder setAllowedLateness(Duration value);

    abstract QuarantineStore build();
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<QuarantineRecord> records) {
    PartitionedFiles.checkOptions("QuarantineStore", prefix(), numShards(), windowSize(), allowedLateness());
    int shards = numShards();
    return records
        .apply("PrepareQuarantineDirectory", ParDo.of(new PrepareFn(prefix())))
        .apply(
            "WindowByArrival",
            PartitionedFiles.<QuarantineRecord>arrivalWindows(windowSize(), allowedLateness()))
        .apply(
            "WriteJsonLines",
            FileIO.<String, QuarantineRecord>writeDynamic()
                .by(
                    q ->
                        PartitionedFiles.destination(
                            q.original().receivedAtMillis(), q.original().source().describe(), shards))
                .withDestinationCoder(StringUtf8Coder.of())
                .via(Contextful.fn(QuarantineJson::toJsonLine), TextIO.sink())
                .to(prefix())
                .withNaming(d -> PartitionedFiles.naming(d, FILE_PREFIX, shards, FILE_SUFFIX))
                .withNumShards(1));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("prefix", prefix()).withLabel("Quarantine prefix"))
        .add(DisplayData.item("numShards", numShards()).withLabel("Shards per partition and window"))
        .add(DisplayData.item("windowSize", windowSize().toString()).withLabel("Arrival window"));
  }

  /** Makes the local quarantine directory owner-only before the writer creates it, and counts the records. */
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
    public void processElement(@Element QuarantineRecord record, OutputReceiver<QuarantineRecord> out) {
      records.inc();
      out.output(record);
    }
  }
}
