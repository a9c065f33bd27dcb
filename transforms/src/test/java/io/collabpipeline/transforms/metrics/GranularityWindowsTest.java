package io.collabpipeline.transforms.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.Granularity;
import java.util.Collection;
import java.util.Random;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The one windowing of all granularities assigns every element the window that Beam's own {@code
 * FixedWindows} of its key's granularity assigns (the windowing it replaced), at window edges and
 * at random instants.
 */
@RunWith(JUnit4.class)
public class GranularityWindowsTest {

  @Test
  public void assignsTheFixedWindowOfTheKeysGranularity() throws Exception {
    Random random = new Random(11);
    GranularityWindows<String> byKey = new GranularityWindows<>();
    for (Granularity g : Granularity.values()) {
      FixedWindows fixed = FixedWindows.of(g.size());
      long size = g.size().getMillis();
      long day = 86_400_000L;
      long[] edges = {0, 1, size - 1, size, size + 1, 20_000 * day, 20_000 * day - 1};
      for (long t : edges) {
        assertThat(
            g + " at " + t,
            assign(byKey, KV.of(GranularityWindows.keyPrefix(g) + "1\u0000x", "v"), t),
            equalTo(assign(fixed, "v", t)));
      }
      for (int i = 0; i < 2_000; i++) {
        long t = 1_700_000_000_000L + (long) (random.nextDouble() * 400 * day);
        assertThat(
            assign(byKey, KV.of(GranularityWindows.keyPrefix(g) + "42", "v"), t),
            equalTo(assign(fixed, "v", t)));
      }
    }
  }

  @Test
  public void keysReadBackAsWrittenAndContributionsAddWhatTheySay() {
    String key =
        ComputeMetrics.MetricKeys.of(
            Granularity.HOUR,
            io.collabpipeline.model.CuratedTable.NOTIFICATION_FANOUT,
            ComputeMetrics.MetricKeys.fanoutKey("123", "comment.added"));
    assertThat(GranularityWindows.granularityOf(key), equalTo(Granularity.HOUR));
    assertThat(
        ComputeMetrics.MetricKeys.table(key),
        equalTo(io.collabpipeline.model.CuratedTable.NOTIFICATION_FANOUT));
    assertThat(ComputeMetrics.MetricKeys.key(key), equalTo("123\u0000comment.added"));

    io.collabpipeline.model.MetricAccumulator acc = new io.collabpipeline.model.MetricAccumulator();
    ComputeMetrics.Contributions.add(acc, "t1", true);
    ComputeMetrics.Contributions.add(acc, null, true);
    ComputeMetrics.Contributions.add(acc, "t1", false);
    ComputeMetrics.Contributions.add(acc, "", false);
    // 4 contributions, 2 completing, items t1 (twice) and the empty string
    assertThat(acc.count(), equalTo(4L));
    assertThat(acc.completed(), equalTo(2L));
    assertThat(acc.items().keySet(), contains("", "t1"));
  }

  @Test
  public void aKeyWithoutGranularityIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> GranularityWindows.granularityOf("x1"));
    assertThrows(IllegalArgumentException.class, () -> GranularityWindows.granularityOf(""));
  }

  @SuppressWarnings("unchecked")
  private static <T> IntervalWindow assign(WindowFn<T, ?> fn, T element, long millis)
      throws Exception {
    Collection<? extends BoundedWindow> windows =
        ((WindowFn<T, BoundedWindow>) fn)
            .assignWindows(
                ((WindowFn<T, BoundedWindow>) fn).new AssignContext() {
                  @Override
                  public T element() {
                    return element;
                  }

                  @Override
                  public Instant timestamp() {
                    return new Instant(millis);
                  }

                  @Override
                  public BoundedWindow window() {
                    return GlobalWindow.INSTANCE;
                  }
                });
    assertThat(windows.size(), equalTo(1));
    return (IntervalWindow) windows.iterator().next();
  }
}
