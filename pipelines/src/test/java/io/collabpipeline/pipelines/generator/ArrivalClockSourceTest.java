package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The rate-limited source of delivery indices: arrival timestamps, a watermark on the arrival
 * clock, checkpoints.
 */
@RunWith(JUnit4.class)
public class ArrivalClockSourceTest {

  private static final long START = 1_000_000L;
  private final PipelineOptions options = PipelineOptionsFactory.create();

  /**
   * Reads a reader to its end, checking timestamps and that the watermark never passes an unread
   * arrival.
   */
  private static List<Long> drain(
      UnboundedSource.UnboundedReader<Long> reader, ArrivalClockSource source)
      throws IOException, InterruptedException {
    List<Long> read = new ArrayList<>();
    Instant lastWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
    boolean available = reader.start();
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      if (available) {
        long index = reader.getCurrent();
        assertThat(reader.getCurrentTimestamp().getMillis(), is(source.arrival(index)));
        assertThat(
            "watermark passed an element",
            lastWatermark.getMillis(),
            lessThanOrEqualTo(source.arrival(index)));
        read.add(index);
      } else if (reader.getWatermark().equals(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        break;
      } else {
        Thread.sleep(2);
      }
      assertThat(reader.getWatermark(), greaterThanOrEqualTo(lastWatermark));
      lastWatermark = reader.getWatermark();
      assertThat("reader never finished", System.currentTimeMillis() < deadline, is(true));
      available = reader.advance();
    }
    return read;
  }

  @Test
  public void splitsCoverEveryIndexOnceWithArrivalTimestamps() throws Exception {
    ArrivalClockSource source = new ArrivalClockSource(100, 1_000_000, START, 40.0);
    List<Long> all = new ArrayList<>();
    for (ArrivalClockSource split : source.split(3, options)) {
      List<Long> read = drain(split.createReader(options, null), split);
      for (int i = 1; i < read.size(); i++) {
        assertThat(read.get(i) - read.get(i - 1), is(3L));
      }
      all.addAll(read);
    }
    all.sort(null);
    List<Long> expected = new ArrayList<>();
    for (long i = 0; i < 100; i++) {
      expected.add(i);
    }
    assertThat(all, is(expected));
    assertThat(source.arrival(40), is(START + 1000));
  }

  @Test
  public void aReaderResumesFromItsCheckpoint() throws Exception {
    ArrivalClockSource source = new ArrivalClockSource(30, 1_000_000, START, 10.0);
    UnboundedSource.UnboundedReader<Long> reader = source.createReader(options, null);
    assertThat(reader.start(), is(true));
    long expected = 0;
    while (expected < 9) {
      if (reader.advance()) { // false while ahead of the wall-clock rate
        assertThat(reader.getCurrent(), is(++expected));
      } else {
        Thread.sleep(1);
      }
    }
    assertThat(reader.getCurrent(), is(9L));
    ArrivalClockSource.NextIndex mark = (ArrivalClockSource.NextIndex) reader.getCheckpointMark();
    ArrivalClockSource.NextIndex decoded =
        CoderUtils.decodeFromByteArray(
            source.getCheckpointMarkCoder(),
            CoderUtils.encodeToByteArray(source.getCheckpointMarkCoder(), mark));
    assertThat(decoded.next, is(10L));
    assertThat(reader.getWatermark().getMillis(), is(source.arrival(10)));
    List<Long> rest = drain(source.createReader(options, decoded), source);
    assertThat(rest.get(0), is(10L));
    assertThat(rest.size(), is(20));
  }

  @Test
  public void theReaderKeepsToTheWallClockRate() throws Exception {
    ArrivalClockSource source = new ArrivalClockSource(11, 50, START, 40.0);
    long begin = System.nanoTime();
    List<Long> read = drain(source.createReader(options, null), source);
    double seconds = (System.nanoTime() - begin) / 1e9;
    assertThat(read.size(), is(11));
    // 11 records at 50/s: the first is free, the other ten take at least 0.2 s.
    assertThat(seconds, greaterThanOrEqualTo(0.19));
  }
}
