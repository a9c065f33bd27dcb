package io.collabpipeline.pipelines.sources;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.pipelines.sinks.RawArchiveSchema;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Reads the raw store back for a bounded replay: every Parquet file of the {@code dt=YYYY-MM-DD} partitions of a range
 * of UTC dates ({@code <prefix>/dt=D/hr=HH/*.parquet}), each row turned back into the {@link CollabEvent} it was
 * ({@link RawArchiveSchema#fromRecord}) and timestamped with its original <b>arrival</b> time, as every source of the
 * graph is. The raw store is partitioned by {@code occurred_at}, so the range yields exactly the events that occurred
 * on those dates: every metric window that starts in the range is complete.
 *
 * <p>The files are matched per date partition through Beam's {@code FileSystems} (one glob per date), so a local
 * directory and any registered file system prefix ({@code s3://bucket/raw}) work alike; a date with no files yields
 * nothing (the job's driver checks the partitions exist before it starts). The events were validated and minimized when
 * they were first accepted: a replay enters the graph after validation. Events are not deduplicated here: the raw store
 * may hold the same id twice (a re-delivery after the dedup horizon, a re-validated quarantine record), and the graph's
 * {@code DedupByEventId} keeps one.
 *
 * <p>Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #EVENTS_READ}.
 */
@AutoValue
public abstract class RawStoreReplay extends PTransform<PBegin, PCollection<CollabEvent>> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "raw_replay";
  public static final String EVENTS_READ = "events_read";

  abstract String prefix();

  abstract @Nullable ReplayScope range();

  abstract Builder toBuilder();

  /** Reads the raw store under {@code prefix} (a directory or a file system URI prefix); set the dates with {@link #withRange}. */
  public static RawStoreReplay read(String prefix) {
    return new AutoValue_RawStoreReplay.Builder().setPrefix(prefix).build();
  }

  /** The UTC dates (event date, {@code occurred_at}) to read, both included. */
  public RawStoreReplay withRange(ReplayScope range) {
    return toBuilder().setRange(range).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setPrefix(String value);

    abstract Builder setRange(ReplayScope value);

    abstract RawStoreReplay build();
  }

  /** The glob of the Parquet files of one date partition under {@code prefix}. */
  public static String partitionGlob(String prefix, LocalDate date) {
    return (prefix.endsWith("/") ? prefix : prefix + "/") + "dt=" + date + "/hr=*/*.parquet";
  }

  /** The globs of every date of {@code range}, in date order. */
  public static List<String> partitionGlobs(String prefix, ReplayScope range) {
    List<String> globs = new ArrayList<>();
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      globs.add(partitionGlob(prefix, d));
    }
    return globs;
  }

  /**
   * The dates of {@code range} whose partition holds no Parquet file under {@code prefix}, in date order: a replay
   * would empty their windows, so drivers refuse such a range.
   */
  public static List<LocalDate> datesWithoutFiles(String prefix, ReplayScope range) throws IOException {
    List<LocalDate> empty = new ArrayList<>();
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      MatchResult m = FileSystems.match(partitionGlob(prefix, d), EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        empty.add(d);
      }
    }
    return empty;
  }

  @Override
  public PCollection<CollabEvent> expand(PBegin begin) {
    if (prefix() == null || prefix().isEmpty()) {
      throw new IllegalArgumentException("RawStoreReplay.read(prefix) needs a non-empty directory or URI prefix");
    }
    ReplayScope range = range();
    if (range == null) {
      throw new IllegalArgumentException("RawStoreReplay needs the dates to read: use withRange(ReplayScope)");
    }
    return begin
        .apply("RawPartitionGlobs", Create.of(partitionGlobs(prefix(), range)).withCoder(StringUtf8Coder.of()))
        .apply("MatchRawFiles", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
        .apply("OpenRawFiles", FileIO.readMatches())
        .apply("ReadRawParquet", ParquetIO.readFiles(RawArchiveSchema.SCHEMA))
        .apply("ToEventsAtArrival", ParDo.of(new ToEventFn()))
        .setCoder(CollabEventCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("prefix", prefix()).withLabel("Raw store prefix"));
    if (range() != null) {
      builder.add(DisplayData.item("range", range().toString()).withLabel("Event dates"));
    }
  }

  private static final class ToEventFn extends DoFn<GenericRecord, CollabEvent> {
    private static final long serialVersionUID = 1L;
    private final Counter read = Metrics.counter(METRICS_NAMESPACE, EVENTS_READ);

    @ProcessElement
    public void processElement(@Element GenericRecord record, OutputReceiver<CollabEvent> out) {
      CollabEvent event = RawArchiveSchema.fromRecord(record);
      read.inc();
      // Arrival time, as every source: dedup keeps the earliest arrival and the raw branch's clock is arrival time.
      out.outputWithTimestamp(event, new Instant(event.receivedAtMillis()));
    }
  }
}
