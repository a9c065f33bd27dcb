package io.collabpipeline.transforms.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Pre-combining within bundles changes what crosses the shuffle, never a per-key, per-window sum:
 * with room for every partial, and with room for only one (from the second value on, each value
 * overflows and its window's partials are emitted at once). The oracle is a plain-Java sum per key
 * and window start over the same generated values.
 */
@RunWith(JUnit4.class)
public class CombineInBundleTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static final long MINUTE = 60_000L;

  @Test
  public void sumsPerKeyAndWindowAreUnchangedWithRoomForAll() {
    check(CombineInBundle.DEFAULT_MAX_HELD, true);
  }

  @Test
  public void sumsPerKeyAndWindowAreUnchangedWhenEveryValueOverflows() {
    check(1, false);
  }

  @Test
  public void refusesNoRoom() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new CombineInBundle<>(Sum.ofLongs(), 0));
    assertThat(e.getMessage(), containsString("maxHeld >= 1"));
  }

  private void check(int maxHeld, boolean expectFewer) {
    Random random = new Random(7);
    List<TimestampedValue<KV<String, Long>>> values = new ArrayList<>();
    Map<String, Long> expected = new HashMap<>();
    int n = 3_000;
    for (int i = 0; i < n; i++) {
      String key = "k" + random.nextInt(5);
      long value = 1 + random.nextInt(100);
      long t = 1_700_000_000_000L + (long) random.nextInt(30) * MINUTE + random.nextInt(60_000);
      values.add(TimestampedValue.of(KV.of(key, value), new Instant(t)));
      expected.merge(key + "@" + (t - Math.floorMod(t, MINUTE)), value, Long::sum);
    }
    PCollection<KV<String, Long>> partials =
        pipeline
            .apply(
                Create.timestamped(values)
                    .withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
            .apply("Minutes", Window.into(FixedWindows.of(Duration.millis(MINUTE))))
            .apply("CombineInBundle", ParDo.of(new CombineInBundle<>(Sum.ofLongs(), maxHeld)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    PCollection<String> sums =
        partials.apply("Sum", Sum.longsPerKey()).apply("Rows", ParDo.of(new WithWindowStart()));
    List<String> rows = new ArrayList<>();
    expected.forEach((k, v) -> rows.add(k + "=" + v));
    PAssert.that(sums).containsInAnyOrder(rows);
    PCollection<Long> emitted =
        partials
            .apply("Global", Window.into(new GlobalWindows()))
            .apply("CountPartials", Count.globally());
    if (expectFewer) {
      PAssert.thatSingleton(emitted)
          .satisfies(
              count -> {
                assertThat("partials emitted for " + n + " values", count, lessThan((long) n));
                return null;
              });
    } else {
      PAssert.thatSingleton(emitted)
          .satisfies(
              count -> {
                assertThat("partials emitted for " + n + " values", count, lessThan(n + 1L));
                return null;
              });
    }
    pipeline.run().waitUntilFinish();
  }

  private static final class WithWindowStart extends DoFn<KV<String, Long>, String> {
    @ProcessElement
    public void processElement(
        @Element KV<String, Long> sum, IntervalWindow window, OutputReceiver<String> out) {
      out.output(sum.getKey() + "@" + window.start().getMillis() + "=" + sum.getValue());
    }
  }
}
