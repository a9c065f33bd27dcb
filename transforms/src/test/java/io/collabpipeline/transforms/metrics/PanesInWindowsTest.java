package io.collabpipeline.transforms.metrics;

import static io.collabpipeline.transforms.Counters.committedOrAttempted;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link PanesInWindows} against Beam's own windowing of the same partials ({@link
 * MetricWindows#byKeyGranularity} and the combine of {@link ComputeMetrics#rowsOf}), the oracle:
 * the same rows in the same panes (index, timing, on-time index), early, on time, late, a window
 * opened after its end, and a partial dropped behind the watermark, counted as Beam counts it.
 */
@RunWith(JUnit4.class)
public class PanesInWindowsTest {
  @Rule public final transient TestPipeline p = TestPipeline.create();

  private static final String W1 = "1001";
  private static final String W2 = "2002";
  private static final String W3 = "3003";

  /** Beam's allowed lateness 5 + 1 minutes. */
  private static final WindowingPolicy POLICY =
      WindowingPolicy.defaults()
          .withEarlyFiringDelay(Duration.standardSeconds(30))
          .withAllowedLateness(Duration.standardMinutes(5))
          .withLatenessSlack(Duration.standardMinutes(1));

  private static final long T = Instant.parse("2026-11-02T10:00:00Z").getMillis();

  private static TimestampedValue<KV<String, MetricAccumulator>> partial(
      Granularity g, String workspace, long at, String... actors) {
    MetricAccumulator acc = new MetricAccumulator();
    for (String actor : actors) {
      ComputeMetrics.Contributions.add(acc, actor, false);
    }
    String key = ComputeMetrics.MetricKeys.of(g, CuratedTable.ACTIVE_EDITORS, workspace);
    return TimestampedValue.of(KV.of(key, acc), new Instant(at));
  }

  /** Each row with the pane it came in, as text. */
  private static final class DescribePaneFn extends DoFn<CuratedRow, String> {
    private final String path;

    DescribePaneFn(String path) {
      this.path = path;
    }

    @ProcessElement
    public void processElement(@Element CuratedRow row, PaneInfo pane, OutputReceiver<String> out) {
      out.output(
          path
              + " "
              + row
              + " pane "
              + pane.getIndex()
              + " "
              + pane.getTiming()
              + " "
              + pane.getNonSpeculativeIndex());
    }
  }

  @Test
  public void givesTheRowsAndPanesOfBeamsWindowingOfThePartials() {
    TestStream<KV<String, MetricAccumulator>> stream =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), MetricAccumulatorCoder.of()))
            .advanceWatermarkTo(new Instant(T))
            .addElements(
                partial(Granularity.MINUTE, W1, T + 10_000, "a1"),
                partial(Granularity.HOUR, W1, T + 10_000, "a1"))
            // Early panes of W1's minute and hour.
            .advanceProcessingTime(Duration.standardSeconds(31))
            .addElements(
                partial(Granularity.MINUTE, W1, T + 20_000, "a2"),
                partial(Granularity.MINUTE, W2, T + 25_000, "b1"),
                partial(Granularity.HOUR, W1, T + 20_000, "a2"))
            // On-time panes of the minute [T, T+60s) of W1 and W2.
            .advanceWatermarkTo(new Instant(T + 70_000))
            // Late for its minute: a late pane at once.
            .addElements(partial(Granularity.MINUTE, W1, T + 30_000, "a3"))
            // The next minute: a pane starts, early after 30 s.
            .addElements(partial(Granularity.MINUTE, W1, T + 65_000, "a4"))
            .advanceProcessingTime(Duration.standardSeconds(31))
            .addElements(partial(Granularity.MINUTE, W1, T + 66_000, "a4", "a5"))
            // The minute [T, T+60s) expires at T+7min; [T+60s, T+120s) is on time.
            .advanceWatermarkTo(new Instant(T + 8 * 60_000))
            // Dropped behind the watermark: its window expired.
            .addElements(partial(Granularity.MINUTE, W1, T + 40_000, "a6"))
            // A window first seen after its end: its on-time pane at once; then a late one.
            .addElements(partial(Granularity.MINUTE, W3, T + 5 * 60_000, "c1"))
            .addElements(partial(Granularity.MINUTE, W3, T + 5 * 60_000 + 1, "c2"))
            .advanceWatermarkToInfinity();

    PCollection<KV<String, MetricAccumulator>> partials = p.apply(stream);
    PCollection<String> beams =
        ComputeMetrics.rowsOf(
                partials.apply(
                    "MetricWindows", MetricWindows.<MetricAccumulator>byKeyGranularity(POLICY)))
            .apply("DescribeBeams", ParDo.of(new DescribePaneFn("beam")));
    PCollection<String> ours =
        partials
            .apply("PanesInWindows", ParDo.of(new PanesInWindows(POLICY)))
            .apply("OursToGlobalWindow", MetricWindows.<CuratedRow>toGlobalWindow())
            .apply("DescribeOurs", ParDo.of(new DescribePaneFn("ours")));

    PAssert.that(PCollectionList.of(beams).and(ours).apply(Flatten.pCollections()))
        .satisfies(
            all -> {
              List<String> beam = new ArrayList<>();
              List<String> own = new ArrayList<>();
              for (String s : all) {
                if (s.startsWith("beam ")) {
                  beam.add(s.substring(5));
                } else {
                  own.add(s.substring(5));
                }
              }
              Collections.sort(beam);
              Collections.sort(own);
              assertThat(own, equalTo(beam));
              // The scenario reaches every kind of pane.
              for (String timing : List.of(" EARLY -1", " ON_TIME 0", " LATE 1")) {
                assertThat(own.stream().anyMatch(s -> s.endsWith(timing)), equalTo(true));
              }
              assertThat(
                  own,
                  hasItem(
                      startsWith(
                          CuratedRow.activeEditors(T, Granularity.MINUTE, W1, 3)
                              + " pane 2 LATE 1")));
              return null;
            });

    PipelineResult run = p.run();
    run.waitUntilFinish();
    assertThat(
        committedOrAttempted(
            run, PanesInWindows.class.getName(), PanesInWindows.DROPPED_DUE_TO_LATENESS),
        equalTo(1L));
  }

  @Test
  public void aSchedulesPairsComeOutInKeyOrderAndReadBackAsWritten() throws Exception {
    // Against a stable sort of the same pairs: equal keys in the order they were added.
    java.util.Random random = new java.util.Random(28);
    PanesInWindows.SortedPairs pairs = new PanesInWindows.SortedPairs();
    List<long[]> oracle = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      if (!oracle.isEmpty() && random.nextInt(4) == 0) {
        oracle.sort((a, b) -> Long.compare(a[0], b[0]));
        long[] first = oracle.remove(0);
        assertThat(pairs.firstKey(), equalTo(first[0]));
        assertThat(pairs.firstValue(), equalTo(first[1]));
        pairs.removeFirst();
        continue;
      }
      // Mostly ascending, as windows open; sometimes an earlier one, sometimes a repeat.
      long key = random.nextInt(5) == 0 ? random.nextInt(50) : 40 + i;
      oracle.add(new long[] {key, i});
      pairs.add(key, i);
    }
    oracle.sort((a, b) -> Long.compare(a[0], b[0]));
    PanesInWindows.Schedule schedule =
        new PanesInWindows.Schedule(
            pairs, new PanesInWindows.SortedPairs(), new PanesInWindows.SortedPairs());
    schedule.expiries.add(7, 0);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PanesInWindows.ScheduleCoder.INSTANCE.encode(schedule, bytes);
    PanesInWindows.Schedule back =
        PanesInWindows.ScheduleCoder.INSTANCE.decode(new ByteArrayInputStream(bytes.toByteArray()));
    assertThat(back.ends.size(), equalTo(oracle.size()));
    for (long[] pair : oracle) {
      assertThat(back.ends.firstKey(), equalTo(pair[0]));
      assertThat(back.ends.firstValue(), equalTo(pair[1]));
      back.ends.removeFirst();
    }
    assertThat(back.ends.isEmpty(), equalTo(true));
    assertThat(back.ends.firstKey(), equalTo(Long.MAX_VALUE));
    assertThat(back.expiries.firstKey(), equalTo(7L));
    assertThat(back.early.isEmpty(), equalTo(true));
    // The first end is due at its window's last instant, an expiry that plus the lateness.
    assertThat(back.eventDue(60_000, 1_000), equalTo(7L + 60_000 - 1 + 1_000));
  }

  @Test
  public void anOpenWindowsStateReadsBackAsItWasWritten() throws Exception {
    MetricAccumulator acc = new MetricAccumulator();
    ComputeMetrics.Contributions.add(acc, "a1", true);
    ComputeMetrics.Contributions.add(acc, "a2", false);
    PanesInWindows.OpenWindow window = new PanesInWindows.OpenWindow(acc);
    window.panes = 3;
    window.nonSpeculativePanes = 1;
    window.onTimeFired = true;
    window.dirty = true;
    window.earlyAt = 1_795_309_200_123L;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PanesInWindows.OpenWindowCoder.INSTANCE.encode(window, bytes);
    PanesInWindows.OpenWindow back =
        PanesInWindows.OpenWindowCoder.INSTANCE.decode(
            new ByteArrayInputStream(bytes.toByteArray()));
    assertThat(back.acc.count(), equalTo(2L));
    assertThat(back.acc.completed(), equalTo(1L));
    assertThat(back.acc.items(), equalTo(acc.items()));
    assertThat(back.panes, equalTo(3L));
    assertThat(back.nonSpeculativePanes, equalTo(1L));
    assertThat(back.onTimeFired, equalTo(true));
    assertThat(back.dirty, equalTo(true));
    assertThat(back.earlyAt, equalTo(1_795_309_200_123L));
  }
}
