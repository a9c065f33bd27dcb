package io.collabpipeline.transforms.metrics;

import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.MetricTotals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A stream's windows of the live metrics, kept per key in one map: the partials of a key ({@link
 * HeldContributions}, in the global window) merged into the window of the key's granularity that
 * holds their timestamp, and a row of the window's full value so far at each pane, in the global
 * window with the pane's {@link PaneInfo}. The panes are those of {@link MetricWindows}' windowing
 * ({@code AfterWatermark} with early firings after {@code earlyFiringDelay} of processing time past
 * the first element of a pane and a late firing per late element, accumulating, no empty pane), and
 * a partial is dropped when its window's end plus Beam's allowed lateness is behind the input
 * watermark, counted in {@value #DROPPED_DUE_TO_LATENESS} as Beam's runner counts it.
 *
 * <p>Why not Beam's windowed combine: for every partial it takes in, its {@code ReduceFnRunner}
 * reads four or five states of the key and window and sets two timers (the garbage collection's and
 * the trigger's), and a stream's partials are about one per event. Here a partial costs one read
 * and one write of its window's entry in the key's map; the key's two timers (one of event time for
 * the windows' ends and their expiry, one of processing time for the early panes) are set only when
 * a window opens, a pane starts or a timer fires.
 */
final class PanesInWindows extends DoFn<KV<String, MetricAccumulator>, CuratedRow> {
  private static final long serialVersionUID = 1L;

  /** Beam's name for the count of elements its runners drop behind the watermark. */
  static final String DROPPED_DUE_TO_LATENESS = "droppedDueToLateness";

  static final String WINDOWS_STATE = "windows";
  static final String EVENT_TIMER_AT_STATE = "eventTimerAt";
  static final String EARLY_TIMER_AT_STATE = "earlyTimerAt";
  static final String EVENT_TIMER = "windowEnds";
  static final String EARLY_TIMER = "earlyPanes";

  private static final Counter DROPPED =
      Metrics.counter(PanesInWindows.class, DROPPED_DUE_TO_LATENESS);

  /** The key's open windows, by start. */
  @StateId(WINDOWS_STATE)
  private final StateSpec<MapState<Long, OpenWindow>> windowsSpec =
      StateSpecs.map(VarLongCoder.of(), OpenWindowCoder.INSTANCE);

  /** When the key's event-time timer is set to fire, if it is set. */
  @StateId(EVENT_TIMER_AT_STATE)
  private final StateSpec<ValueState<Long>> eventTimerAtSpec = StateSpecs.value(VarLongCoder.of());

  /** When the key's processing-time timer is set to fire, if it is set. */
  @StateId(EARLY_TIMER_AT_STATE)
  private final StateSpec<ValueState<Long>> earlyTimerAtSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId(EVENT_TIMER)
  private final TimerSpec eventTimerSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId(EARLY_TIMER)
  private final TimerSpec earlyTimerSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  private final long earlyDelayMillis;
  private final long allowedLatenessMillis;

  PanesInWindows(WindowingPolicy policy) {
    this.earlyDelayMillis = policy.earlyFiringDelay().getMillis();
    this.allowedLatenessMillis = policy.beamAllowedLateness().getMillis();
  }

  @ProcessElement
  public void processElement(
      @Element KV<String, MetricAccumulator> partial,
      @Timestamp Instant timestamp,
      @StateId(WINDOWS_STATE) MapState<Long, OpenWindow> windows,
      @StateId(EVENT_TIMER_AT_STATE) ValueState<Long> eventTimerAt,
      @StateId(EARLY_TIMER_AT_STATE) ValueState<Long> earlyTimerAt,
      @TimerId(EVENT_TIMER) Timer eventTimer,
      @TimerId(EARLY_TIMER) Timer earlyTimer,
      OutputReceiver<CuratedRow> out) {
    String key = partial.getKey();
    Granularity g = GranularityWindows.granularityOf(key);
    long start = g.windowStart(timestamp.getMillis());
    long maxTimestamp = start + g.size().getMillis() - 1;
    long watermark = eventTimer.getCurrentRelativeTime().getMillis();
    if (maxTimestamp + allowedLatenessMillis < watermark) {
      // Beam's rule (LateDataDroppingDoFnRunner): the window has expired.
      DROPPED.inc();
      return;
    }
    OpenWindow window = windows.get(start).read();
    if (window == null) {
      window = new OpenWindow(new MetricAccumulator().mergeFrom(partial.getValue()));
      // Its end, or its expiry if the end has passed: the key's timer must fire by then.
      fireBy(
          eventTimer,
          eventTimerAt,
          maxTimestamp < watermark ? maxTimestamp + allowedLatenessMillis : maxTimestamp);
    } else {
      window.acc.mergeFrom(partial.getValue());
    }
    if (maxTimestamp < watermark) {
      // Past the window's end: a late pane at once, as Beam fires one per late element (LATE
      // even when it is the window's first pane: only the end-of-window timer fires ON_TIME).
      window.dirty = false;
      window.onTimeFired = true;
      emit(key, g, start, window, PaneInfo.Timing.LATE, out);
    } else if (!window.dirty) {
      // A pane starts: its early firing is due the delay after its first element.
      window.dirty = true;
      window.earlyAt = earlyTimer.getCurrentRelativeTime().getMillis() + earlyDelayMillis;
      fireBy(earlyTimer, earlyTimerAt, window.earlyAt);
    }
    windows.put(start, window);
  }

  /**
   * The windows whose end the watermark passed fire their on-time pane if anything came since their
   * last pane, and those whose expiry it passed are forgotten; the timer is set again for the next
   * end or expiry of the key's windows.
   */
  @OnTimer(EVENT_TIMER)
  public void onWindowEnds(
      OnTimerContext context,
      @Key String key,
      @StateId(WINDOWS_STATE) MapState<Long, OpenWindow> windows,
      @StateId(EVENT_TIMER_AT_STATE) ValueState<Long> eventTimerAt,
      @TimerId(EVENT_TIMER) Timer eventTimer,
      OutputReceiver<CuratedRow> out) {
    long now = context.fireTimestamp().getMillis();
    Granularity g = GranularityWindows.granularityOf(key);
    long size = g.size().getMillis();
    long next = Long.MAX_VALUE;
    List<Long> expired = new ArrayList<>();
    for (Map.Entry<Long, OpenWindow> e : sortedEntries(windows)) {
      long start = e.getKey();
      OpenWindow window = e.getValue();
      long maxTimestamp = start + size - 1;
      if (!window.onTimeFired && maxTimestamp <= now) {
        if (window.dirty) {
          window.dirty = false;
          emit(key, g, start, window, PaneInfo.Timing.ON_TIME, out);
        }
        window.onTimeFired = true;
        windows.put(start, window);
      }
      if (!window.onTimeFired) {
        next = Math.min(next, maxTimestamp);
      } else if (maxTimestamp + allowedLatenessMillis <= now) {
        expired.add(start);
      } else {
        next = Math.min(next, maxTimestamp + allowedLatenessMillis);
      }
    }
    for (Long start : expired) {
      windows.remove(start);
    }
    setAgain(eventTimer, eventTimerAt, next);
  }

  /**
   * The early panes due: every window before its end whose pane started at least the delay ago; the
   * timer is set again for the next pane due.
   */
  @OnTimer(EARLY_TIMER)
  public void onEarlyPanes(
      OnTimerContext context,
      @Key String key,
      @StateId(WINDOWS_STATE) MapState<Long, OpenWindow> windows,
      @StateId(EARLY_TIMER_AT_STATE) ValueState<Long> earlyTimerAt,
      @TimerId(EARLY_TIMER) Timer earlyTimer,
      OutputReceiver<CuratedRow> out) {
    long now = context.fireTimestamp().getMillis();
    Granularity g = GranularityWindows.granularityOf(key);
    long next = Long.MAX_VALUE;
    for (Map.Entry<Long, OpenWindow> e : sortedEntries(windows)) {
      OpenWindow window = e.getValue();
      if (!window.dirty || window.onTimeFired) {
        continue;
      }
      if (window.earlyAt <= now) {
        window.dirty = false;
        emit(key, g, e.getKey(), window, PaneInfo.Timing.EARLY, out);
        windows.put(e.getKey(), window);
      } else {
        next = Math.min(next, window.earlyAt);
      }
    }
    setAgain(earlyTimer, earlyTimerAt, next);
  }

  /** Sets a key's timer to fire at {@code due} unless it is set to fire earlier. */
  private static void fireBy(Timer timer, ValueState<Long> setAt, long due) {
    Long at = setAt.read();
    if (at == null || due < at) {
      timer.withNoOutputTimestamp().set(new Instant(due));
      setAt.write(due);
    }
  }

  /**
   * Sets a key's timer again, from its own callback, for {@code next}; {@code Long.MAX_VALUE}: no
   * window needs it.
   */
  private static void setAgain(Timer timer, ValueState<Long> setAt, long next) {
    if (next == Long.MAX_VALUE) {
      setAt.clear();
    } else {
      timer.withNoOutputTimestamp().set(new Instant(next));
      setAt.write(next);
    }
  }

  /** A key's windows in the order of their starts, so that panes go out in window order. */
  private static List<Map.Entry<Long, OpenWindow>> sortedEntries(
      MapState<Long, OpenWindow> windows) {
    List<Map.Entry<Long, OpenWindow>> entries = new ArrayList<>();
    for (Map.Entry<Long, OpenWindow> e : windows.entries().read()) {
      entries.add(e);
    }
    Collections.sort(entries, Map.Entry.comparingByKey());
    return entries;
  }

  private static void emit(
      String key,
      Granularity g,
      long start,
      OpenWindow window,
      PaneInfo.Timing timing,
      OutputReceiver<CuratedRow> out) {
    long index = window.panes++;
    long onTimeIndex = timing == PaneInfo.Timing.EARLY ? -1 : window.nonSpeculativePanes++;
    PaneInfo pane = PaneInfo.createPane(index == 0, false, timing, index, onTimeIndex);
    CuratedRow row = ComputeMetrics.row(start, key, MetricTotals.of(window.acc));
    Instant maxTimestamp = new Instant(start + g.size().getMillis() - 1);
    out.outputWindowedValue(
        row, maxTimestamp, Collections.singletonList(GlobalWindow.INSTANCE), pane);
  }

  /** Rows go out at their window's last instant, which may be before the timer that fires them. */
  @Override
  @SuppressWarnings("deprecation")
  public Duration getAllowedTimestampSkew() {
    return Duration.millis(Long.MAX_VALUE);
  }

  /** One window of a key: its accumulator and where its panes stand. */
  static final class OpenWindow {
    final MetricAccumulator acc;

    /** Panes fired so far (the next pane's index). */
    long panes;

    /** Of them, those not early (the next non-early pane's on-time index). */
    long nonSpeculativePanes;

    /** Whether the on-time pane's moment (the watermark past the window's end) has come. */
    boolean onTimeFired;

    /** Whether anything came since the last pane. */
    boolean dirty;

    /** When the current pane's early firing is due (processing time), if it is dirty. */
    long earlyAt;

    OpenWindow(MetricAccumulator acc) {
      this.acc = acc;
    }
  }

  /** The window's accumulator and pane state, for checkpoints and the RocksDB backend. */
  static final class OpenWindowCoder extends AtomicCoder<OpenWindow> {
    static final OpenWindowCoder INSTANCE = new OpenWindowCoder();
    private static final MetricAccumulatorCoder ACC = MetricAccumulatorCoder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(OpenWindow value, OutputStream out) throws IOException {
      ACC.encode(value.acc, out);
      LONG.encode(value.panes, out);
      LONG.encode(value.nonSpeculativePanes, out);
      out.write((value.onTimeFired ? 1 : 0) | (value.dirty ? 2 : 0));
      LONG.encode(value.earlyAt, out);
    }

    @Override
    public OpenWindow decode(InputStream in) throws IOException {
      OpenWindow w = new OpenWindow(ACC.decode(in));
      w.panes = LONG.decode(in);
      w.nonSpeculativePanes = LONG.decode(in);
      int flags = in.read();
      if (flags < 0) {
        throw new IOException("an open window's state ends before its flags");
      }
      w.onTimeFired = (flags & 1) != 0;
      w.dirty = (flags & 2) != 0;
      w.earlyAt = LONG.decode(in);
      return w;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
