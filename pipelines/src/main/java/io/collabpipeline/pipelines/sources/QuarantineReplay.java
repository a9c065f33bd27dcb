package io.collabpipeline.pipelines.sources;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.sinks.QuarantineJson;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
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
 * Reads quarantined records back as the {@link RawRecord}s they were when they arrived, for re-validation after a fix
 * (a schema change, a raised size limit): the original bytes, the original source coordinate and the original
 * <b>arrival</b> time, which is also the element timestamp. Reads the quarantine files of the {@code dt=YYYY-MM-DD}
 * partitions (ARRIVAL dates) of a range ({@code <prefix>/dt=D/hr=HH/quarantine-*.jsonl}) through Beam's {@code
 * FileSystems}, one glob per date, so local directories and registered file systems ({@code s3://}) work alike.
 *
 * <p>Payloads are never logged; a line that cannot be parsed fails the job with its file and the field at fault, never
 * its content. Metrics: namespace {@value #METRICS_NAMESPACE}, counter {@value #RECORDS_READ}.
 */
@AutoValue
public abstract class QuarantineReplay extends PTransform<PBegin, PCollection<RawRecord>> {
  private static final long serialVersionUID = 1L;

  public static final String METRICS_NAMESPACE = "quarantine_replay";
  public static final String RECORDS_READ = "records_read";

  abstract String prefix();

  abstract @Nullable ReplayScope range();

  abstract Builder toBuilder();

  /** Reads the quarantine store under {@code prefix}; set the arrival dates with {@link #withRange}. */
  public static QuarantineReplay read(String prefix) {
    return new AutoValue_QuarantineReplay.Builder().setPrefix(prefix).build();
  }

  /** The UTC arrival dates to read, both included. */
  public QuarantineReplay withRange(ReplayScope range) {
    return toBuilder().setRange(range).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setPrefix(String value);

    abstract Builder setRange(ReplayScope value);

    abstract QuarantineReplay build();
  }

  /** The glob of the quarantine files of one arrival date under {@code prefix}. */
  public static String partitionGlob(String prefix, LocalDate date) {
    return (prefix.endsWith("/") ? prefix : prefix + "/") + "dt=" + date + "/hr=*/quarantine-*.jsonl";
  }

  /** The globs of every date of {@code range}, in date order. */
  public static List<String> partitionGlobs(String prefix, ReplayScope range) {
    List<String> globs = new ArrayList<>();
    for (LocalDate d = range.from(); !d.isAfter(range.to()); d = d.plusDays(1)) {
      globs.add(partitionGlob(prefix, d));
    }
    return globs;
  }

  @Override
  public PCollection<RawRecord> expand(PBegin begin) {
    if (prefix() == null || prefix().isEmpty()) {
      throw new IllegalArgumentException("QuarantineReplay.read(prefix) needs a non-empty directory or URI prefix");
    }
    ReplayScope range = range();
    if (range == null) {
      throw new IllegalArgumentException("QuarantineReplay needs the arrival dates to read: use withRange(ReplayScope)");
    }
    return begin
        .apply("QuarantinePartitionGlobs", Create.of(partitionGlobs(prefix(), range)).withCoder(StringUtf8Coder.of()))
        .apply("MatchQuarantineFiles", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
        .apply("OpenQuarantineFiles", FileIO.readMatches())
        .apply("ReadQuarantineLines", TextIO.readFiles())
        .apply("ToOriginalRecords", ParDo.of(new ToOriginalFn()))
        .setCoder(RawRecordCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("prefix", prefix()).withLabel("Quarantine prefix"));
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
