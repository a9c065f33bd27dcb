package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.files.NdjsonFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The generator and the files source on the embedded Flink runner (parallelism 2), batch and
 * streaming.
 */
@RunWith(JUnit4.class)
public class SourcesOnFlinkTest {

  /** What the job saw; the embedded Flink cluster runs in this JVM. */
  private static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();

  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private static Pipeline flink(boolean streaming) {
    FlinkPipelineOptions options = EmbeddedFlink.options(streaming, 2);
    options.setShutdownSourcesAfterIdleMs(1000L);
    return Pipeline.create(options);
  }

  private static final class RecordWindowFn extends DoFn<Long, String> {
    @ProcessElement
    public void process(@Element Long count, BoundedWindow window) {
      SEEN.add(window.maxTimestamp().plus(Duration.millis(1)).getMillis() + "=" + count);
    }
  }

  private static final class RecordLineFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(@Element RawRecord r, @Timestamp org.joda.time.Instant timestamp) {
      SEEN.add(
          r.source().offset()
              + "@"
              + timestamp.getMillis()
              + ":"
              + Base64.getEncoder().encodeToString(r.payload()));
    }
  }

  @Test
  public void rateLimitedGeneratorFillsArrivalWindowsExactlyInFlinkStreaming() {
    SEEN.clear();
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(200).withSeed(41);
    Pipeline p = flink(true);
    p.apply("ReadGenerator", GeneratorSource.of(spec).withUnbounded(1000))
        .apply("WindowByArrival", Window.into(FixedWindows.of(Duration.standardSeconds(1))))
        .apply("CountPerSecond", Combine.globally(Count.<RawRecord>combineFn()).withoutDefaults())
        .apply("Record", ParDo.of(new RecordWindowFn()));
    p.run().waitUntilFinish();
    long start = spec.start().toEpochMilli();
    List<String> expected = new ArrayList<>();
    for (int s = 1; s <= 5; s++) {
      expected.add((start + s * 1000L) + "=40");
    }
    List<String> seen = new ArrayList<>(SEEN);
    seen.sort(null);
    assertThat(seen, is(expected));
  }

  @Test
  public void filesSourceReadsTheSameBytesInFlinkBatch() throws Exception {
    SEEN.clear();
    WorkloadGenerator generator =
        new WorkloadGenerator(WorkloadSpec.defaults().withMalformedShare(0.1).withSeed(43));
    Path gz = folder.getRoot().toPath().resolve("a.json.gz");
    long arrival = DeliveryFiles.write(generator, 0, 120, gz);
    Pipeline p = flink(false);
    p.apply("ReadFiles", NdjsonFiles.read(folder.getRoot() + "/*.json.gz"))
        .apply("Record", ParDo.of(new RecordLineFn()));
    p.run().waitUntilFinish();
    TreeMap<String, Boolean> expected = new TreeMap<>();
    for (int i = 0; i < 120; i++) {
      expected.put(
          (i + 1)
              + "@"
              + arrival
              + ":"
              + Base64.getEncoder().encodeToString(generator.delivery(i).bytes()),
          true);
    }
    List<String> seen = new ArrayList<>(SEEN);
    seen.sort(null);
    assertThat(seen, is(new ArrayList<>(expected.keySet())));
  }
}
