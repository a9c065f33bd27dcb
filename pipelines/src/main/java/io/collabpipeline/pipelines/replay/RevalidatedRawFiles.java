package io.collabpipeline.pipelines.replay;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.pipelines.sinks.RawArchiveSchema;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
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
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Adds re-validated quarantine records, as events, to the raw store: the same Parquet columns ({@link
 * RawArchiveSchema}) and the same {@code dt=YYYY-MM-DD/hr=HH} partitions by {@code occurred_at} as the live archive,
 * so a raw-store replay of the event dates reads them with everything else.
 *
 * <p><b>Deterministic names, never the live archive's.</b> Each file is named by its partition and the ARRIVAL date of
 * its events: {@code <prefix>/dt=D/hr=HH/revalidated-a<arrival date>.parquet}. A quarantine replay reads whole arrival
 * dates, so replaying the same dates again rewrites the same files with the same (or, if more records were quarantined
 * since, more) events instead of adding copies; and the {@code revalidated-} prefix never collides with the live
 * archive's {@code part-} files, which are never touched. Bounded input only (one file per destination, global window).
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #EVENTS_WRITTEN}, and per event date {@value
 * #EVENTS_WRITTEN}{@code .YYYY-MM-DD} (the dates a raw replay must then cover).
 */
@AutoValue
public abstract class RevalidatedRawFiles extends PTransform<PCollection<CollabEvent>, WriteFilesResult<String>> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "quarantine_replay";
  public static final String EVENTS_WRITTEN = "events_written";
  static final String FILE_PREFIX = "revalidated-a";

  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter COMPACT_DATE =
      DateTimeFormatter.ofPattern("uuuuMMdd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);

  abstract String prefix();

  /** Writes under the raw store {@code prefix}: a directory or a file system URI prefix. */
  public static RevalidatedRawFiles to(String prefix) {
    return new AutoValue_RevalidatedRawFiles(prefix);
  }

  /** {@code dt=YYYY-MM-DD/hr=HH|yyyyMMdd}: the event-time partition and the arrival date of an event. */
  static String destination(CollabEvent e) {
    Instant occurred = Instant.ofEpochMilli(e.occurredAtMillis());
    return "dt=" + DATE.format(occurred) + "/hr=" + HOUR.format(occurred) + "|"
        + COMPACT_DATE.format(Instant.ofEpochMilli(e.receivedAtMillis()));
  }

  @Override
  public WriteFilesResult<String> expand(PCollection<CollabEvent> events) {
    if (prefix() == null || prefix().isEmpty()) {
      throw new IllegalArgumentException("RevalidatedRawFiles.to(prefix) needs a non-empty directory or URI prefix");
    }
    return events
        .apply("CountRevalidated", ParDo.of(new CountFn()))
        .apply(
            "WriteRevalidatedParquet",
            FileIO.<String, CollabEvent>writeDynamic()
                .by(RevalidatedRawFiles::destination)
                .withDestinationCoder(StringUtf8Coder.of())
                .via(Contextful.fn(RawArchiveSchema::toRecord), ParquetIO.sink(RawArchiveSchema.SCHEMA))
                .to(prefix())
                .withNaming(Naming::new)
                .withNumShards(1));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("prefix", prefix()).withLabel("Raw store prefix"));
  }

  private static final class Naming implements FileIO.Write.FileNaming {
    private static final long serialVersionUID = 1L;
    private final String destination;

    Naming(String destination) {
      this.destination = destination;
    }

    @Override
    public String getFilename(
        BoundedWindow window, PaneInfo pane, int numShards, int shardIndex, Compression compression) {
      int sep = destination.lastIndexOf('|');
      return destination.substring(0, sep) + "/" + FILE_PREFIX + destination.substring(sep + 1) + ".parquet";
    }
  }

  private static final class CountFn extends DoFn<CollabEvent, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final Counter written = Metrics.counter(METRICS_NAMESPACE, EVENTS_WRITTEN);

    @ProcessElement
    public void processElement(@Element CollabEvent e, OutputReceiver<CollabEvent> out) {
      written.inc();
      Metrics.counter(METRICS_NAMESPACE, EVENTS_WRITTEN + "." + DATE.format(Instant.ofEpochMilli(e.occurredAtMillis())))
          .inc();
      out.output(e);
    }
  }
}
