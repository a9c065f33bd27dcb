package io.collabpipeline.transforms.metrics;

import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.MetricTotals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
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
import org.apache.beam.sdk.util.VarInt;
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
 * and one write of its window's entry in the key's map. The key's {@link Schedule} (which windows
 * wait for their end, which for their expiry, which early panes are due) and its two timers (one of
 * event time, one of processing time, each set for the schedule's first due) are read and set only
 * when a window opens, a pane starts or a timer fires, and a timer reads only the windows that are
 * due, never the key's whole map.
 */
final class PanesInWindows extends DoFn<KV<String, MetricAccumulator>, CuratedRow> {
  private static final long serialVersionUID = 1L;

  /** Beam's name for the count of elements its runners drop behind the watermark. */
  static final String DROPPED_DUE_TO_LATENESS = "droppedDueToLateness";

  static final String WINDOWS_STATE = "windows";
  static final String SCHEDULE_STATE = "schedule";
  static final String EVENT_TIMER = "windowEnds";
  static final String EARLY_TIMER = "earlyPanes";

  private static final Counter DROPPED =
      Metrics.counter(PanesInWindows.class, DROPPED_DUE_TO_LATENESS);

  /** The key's open windows, by start. */
  @StateId(WINDOWS_STATE)
  private final StateSpec<MapState<Long, OpenWindow>> windowsSpec =
      StateSpecs.map(VarLongCoder.of(), OpenWindowCoder.INSTANCE);

  /** What the key's windows wait for. */
  @StateId(SCHEDULE_STATE)
  private final StateSpec<ValueState<Schedule>> scheduleSpec =
      StateSpecs.value(ScheduleCoder.INSTANCE);

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
      @StateId(SCHEDULE_STATE) ValueState<Schedule> scheduleState,
      @TimerId(EVENT_TIMER) Timer eventTimer,
      @TimerId(EARLY_TIMER) Timer earlyTimer,
      OutputReceiver<CuratedRow> out) {
    String key = partial.getKey();
    Granularity g = GranularityWindows.granularityOf(key);
    long size = g.size().getMillis();
    long start = g.windowStart(timestamp.getMillis());
    long maxTimestamp = start + size - 1;
    long watermark = eventTimer.getCurrentRelativeTime().getMillis();
    if (maxTimestamp + allowedLatenessMillis < watermark) {
      // Beam's rule (LateDataDroppingDoFnRunner): the window has expired.
      DROPPED.inc();
      return;
    }
    Schedule schedule = null;
    OpenWindow window = windows.get(start).read();
    if (window == null) {
      window = new OpenWindow(new MetricAccumulator().mergeFrom(partial.getValue()));
      schedule = read(scheduleState);
      long due = schedule.eventDue(size, allowedLatenessMillis);
      // It waits for its end, or for its expiry if its end has passed.
      (maxTimestamp < watermark ? schedule.expiries : schedule.ends).add(start, 0);
      setIfChanged(eventTimer, due, schedule.eventDue(size, allowedLatenessMillis));
    } else {
      window.acc.mergeFrom(partial.getValue());
    }
    if (window.onTimeFired || maxTimestamp < watermark) {
      // Past the window's end: a late pane at once, as Beam fires one per late element (LATE
      // even when it is the window's first pane: only the end of the window fires ON_TIME). Once
      // the end has come, whatever the watermark says now: a stream restored from a checkpoint
      // starts again from no watermark, and Beam's trigger, past its end, fires late panes.
      window.dirty = false;
      window.onTimeFired = true;
      emit(key, g, start, window, PaneInfo.Timing.LATE, out);
    } else if (!window.dirty) {
      // A pane starts: its early firing is due the delay after its first element.
      window.dirty = true;
      window.earlyAt = earlyTimer.getCurrentRelativeTime().getMillis() + earlyDelayMillis;
      if (schedule == null) {
        schedule = read(scheduleState);
      }
      long due = schedule.early.firstKey();
      schedule.early.add(window.earlyAt, start);
      setIfChanged(earlyTimer, due, schedule.early.firstKey());
    }
    windows.put(start, window);
    if (schedule != null) {
      scheduleState.write(schedule);
    }
  }

  /**
   * The windows whose end has come fire their on-time pane if anything came since their last pane,
   * in the order of their starts, and then wait for their expiry; those whose expiry has come are
   * forgotten. The timer is set again for the schedule's next end or expiry.
   */
  @OnTimer(EVENT_TIMER)
  public void onWindowEnds(
      OnTimerContext context,
      @Key String key,
      @StateId(WINDOWS_STATE) MapState<Long, OpenWindow> windows,
      @StateId(SCHEDULE_STATE) ValueState<Schedule> scheduleState,
      @TimerId(EVENT_TIMER) Timer eventTimer,
      OutputReceiver<CuratedRow> out) {
    long now = context.fireTimestamp().getMillis();
    Granularity g = GranularityWindows.granularityOf(key);
    long size = g.size().getMillis();
    Schedule schedule = read(scheduleState);
    while (!schedule.ends.isEmpty() && schedule.ends.firstKey() + size - 1 <= now) {
      long start = schedule.ends.firstKey();
      schedule.ends.removeFirst();
      OpenWindow window = windows.get(start).read();
      if (window != null && !window.onTimeFired) {
        if (window.dirty) {
          window.dirty = false;
          emit(key, g, start, window, PaneInfo.Timing.ON_TIME, out);
        }
        window.onTimeFired = true;
        windows.put(start, window);
      }
      schedule.expiries.add(start, 0);
    }
    while (!schedule.expiries.isEmpty()
        && schedule.expiries.firstKey() + size - 1 + allowedLatenessMillis <= now) {
      windows.remove(schedule.expiries.firstKey());
      schedule.expiries.removeFirst();
    }
    setIfChanged(eventTimer, now, schedule.eventDue(size, allowedLatenessMillis));
    write(scheduleState, schedule);
  }

  /**
   * The early panes due: every window before its end whose pane started at least the delay ago. The
   * timer is set again for the next pane due.
   */
  @OnTimer(EARLY_TIMER)
  public void onEarlyPanes(
      OnTimerContext context,
      @Key String key,
      @StateId(WINDOWS_STATE) MapState<Long, OpenWindow> windows,
      @StateId(SCHEDULE_STATE) ValueState<Schedule> scheduleState,
      @TimerId(EARLY_TIMER) Timer earlyTimer,
      OutputReceiver<CuratedRow> out) {
    long now = context.fireTimestamp().getMillis();
    Granularity g = GranularityWindows.granularityOf(key);
    Schedule schedule = read(scheduleState);
    while (!schedule.early.isEmpty() && schedule.early.firstKey() <= now) {
      long due = schedule.early.firstKey();
      long start = schedule.early.firstValue();
      schedule.early.removeFirst();
      OpenWindow window = windows.get(start).read();
      // Gone (expired), fired on time since, or a pane of its own: nothing is due.
      if (window != null && window.dirty && !window.onTimeFired && window.earlyAt == due) {
        window.dirty = false;
        emit(key, g, start, window, PaneInfo.Timing.EARLY, out);
        windows.put(start, window);
      }
    }
    setIfChanged(earlyTimer, now, schedule.early.firstKey());
    write(scheduleState, schedule);
  }

  private static Schedule read(ValueState<Schedule> state) {
    Schedule schedule = state.read();
    return schedule == null ? new Schedule() : schedule;
  }

  private static void write(ValueState<Schedule> state, Schedule schedule) {
    if (schedule.isEmpty()) {
      state.clear();
    } else {
      state.write(schedule);
    }
  }

  /**
   * Sets a key's timer for its schedule's first due when that changed ({@code Long.MAX_VALUE}:
   * nothing due; the timer that fired, or one never set, is left unset).
   */
  private static void setIfChanged(Timer timer, long before, long due) {
    if (due != before && due != Long.MAX_VALUE) {
      timer.withNoOutputTimestamp().set(new Instant(due));
    }
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

  /**
   * What a key's windows wait for: the starts of those waiting for their end ({@code ends}) and of
   * those waiting for their expiry ({@code expiries}), both in ascending order, so the first is the
   * first due (a key's windows all have its granularity's size); and the early panes due ({@code
   * early}: processing time to window start, ascending).
   */
  static final class Schedule {
    final SortedPairs ends;
    final SortedPairs expiries;
    final SortedPairs early;

    Schedule() {
      this(new SortedPairs(), new SortedPairs(), new SortedPairs());
    }

    Schedule(SortedPairs ends, SortedPairs expiries, SortedPairs early) {
      this.ends = ends;
      this.expiries = expiries;
      this.early = early;
    }

    /** When the key's event-time timer must fire next; {@code Long.MAX_VALUE} if never. */
    long eventDue(long size, long allowedLatenessMillis) {
      long due = Long.MAX_VALUE;
      if (!ends.isEmpty()) {
        due = ends.firstKey() + size - 1;
      }
      if (!expiries.isEmpty()) {
        due = Math.min(due, expiries.firstKey() + size - 1 + allowedLatenessMillis);
      }
      return due;
    }

    boolean isEmpty() {
      return ends.isEmpty() && expiries.isEmpty() && early.isEmpty();
    }
  }

  /**
   * Pairs of longs in ascending order of their keys (pairs of equal keys in the order they were
   * added), taken from the front. A key's windows mostly open in order, so an add is mostly an
   * append.
   */
  static final class SortedPairs {
    private long[] keys;
    private long[] values;
    private int head;
    private int end;

    SortedPairs() {
      this(4);
    }

    private SortedPairs(int capacity) {
      keys = new long[capacity];
      values = new long[capacity];
    }

    boolean isEmpty() {
      return head == end;
    }

    int size() {
      return end - head;
    }

    /** The first key; {@code Long.MAX_VALUE} if there is none. */
    long firstKey() {
      return isEmpty() ? Long.MAX_VALUE : keys[head];
    }

    long firstValue() {
      if (isEmpty()) {
        throw new java.util.NoSuchElementException("no pair");
      }
      return values[head];
    }

    void removeFirst() {
      if (isEmpty()) {
        throw new java.util.NoSuchElementException("no pair");
      }
      head++;
      if (head == end) {
        head = 0;
        end = 0;
      }
    }

    void add(long key, long value) {
      if (end == keys.length) {
        int n = size();
        int capacity = Math.max(4, n * 2);
        long[] k = new long[capacity];
        long[] v = new long[capacity];
        System.arraycopy(keys, head, k, 0, n);
        System.arraycopy(values, head, v, 0, n);
        keys = k;
        values = v;
        head = 0;
        end = n;
      }
      // After every pair whose key is not greater.
      int at = end;
      while (at > head && keys[at - 1] > key) {
        at--;
      }
      System.arraycopy(keys, at, keys, at + 1, end - at);
      System.arraycopy(values, at, values, at + 1, end - at);
      keys[at] = key;
      values[at] = value;
      end++;
    }

    void encode(OutputStream out) throws IOException {
      VarInt.encode(size(), out);
      for (int i = head; i < end; i++) {
        VarInt.encode(keys[i], out);
        VarInt.encode(values[i], out);
      }
    }

    static SortedPairs decode(InputStream in) throws IOException {
      int n = VarInt.decodeInt(in);
      if (n < 0) {
        throw new IOException("a schedule's list cannot hold " + n + " pairs");
      }
      SortedPairs pairs = new SortedPairs(Math.max(4, n));
      for (int i = 0; i < n; i++) {
        pairs.keys[i] = VarInt.decodeLong(in);
        pairs.values[i] = VarInt.decodeLong(in);
      }
      pairs.end = n;
      return pairs;
    }
  }

  /** A key's schedule, for checkpoints and the RocksDB backend. */
  static final class ScheduleCoder extends AtomicCoder<Schedule> {
    static final ScheduleCoder INSTANCE = new ScheduleCoder();

    @Override
    public void encode(Schedule value, OutputStream out) throws IOException {
      value.ends.encode(out);
      value.expiries.encode(out);
      value.early.encode(out);
    }

    @Override
    public Schedule decode(InputStream in) throws IOException {
      return new Schedule(SortedPairs.decode(in), SortedPairs.decode(in), SortedPairs.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
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
