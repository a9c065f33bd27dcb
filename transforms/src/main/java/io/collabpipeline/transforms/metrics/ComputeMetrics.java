package io.collabpipeline.transforms.metrics;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CuratedRowCoder;
import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.coders.MetricTotalsCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.EventType;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.MetricTotals;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The curated collaboration metrics: {@code active_editors}, {@code task_update_velocity} and
 * {@code notification_fanout}, per minute, hour and day.
 *
 * <p>The input must be in the global window, timestamped with event time (after {@code
 * AssignEventTime}) and already deduplicated, so the counts are exact. The steps:
 *
 * <ol>
 *   <li>{@code SelectAndAccumulate}: per {@link Granularity}, an event is too late for a window of
 *       that granularity when it arrived after the window's end plus {@link
 *       WindowingPolicy#allowedLateness()} ({@code receivedAt > windowEnd(g, occurredAt) +
 *       allowedLateness}). The data decides, not the runner, so every runner and mode gives the
 *       same rows. Such events are left out of that granularity only and counted ({@link
 *       #tooLateCounterName(Granularity)}). Otherwise the event counts once per table that selects
 *       it, by the properties of its {@link EventType} (an unregistered type counts for nothing),
 *       under a key naming the granularity and table, with only what the table counts:
 *       <ul>
 *         <li>active_editors per workspace: distinct actors of task.created|updated|completed,
 *             comment.added|edited and project.member_added|removed events;
 *         <li>task_update_velocity per workspace: task.* events, distinct task gids among them,
 *             task.completed events;
 *         <li>notification_fanout per workspace and trigger event type, over notification.sent:
 *             distinct trigger event ids, notifications, and the most notifications of one trigger
 *             id.
 *       </ul>
 *       Each bundle's contributions to a key and window are added to one partial {@link
 *       MetricAccumulator}, at the finest granularity the event is in time for, the minutes rolled
 *       up into hours and days when the partials go on ({@link HeldContributions}).
 *   <li>In a batch pipeline, {@code MetricWindows}: each partial in the window of its key's
 *       granularity ({@link MetricWindows}: early, on-time and late panes, accumulating); then
 *       {@code CombinePerKey}: an exact combine merging the partials; each pane hands on the
 *       window's {@link MetricTotals} (the items stay in the combine's accumulator), one row per
 *       window and key ({@code ToRows}).
 *   <li>In a stream, {@code PanesInWindows}: the same windows and panes, each key's windows kept in
 *       one map of its state ({@link PanesInWindows}), one row per pane; then {@code
 *       ToGlobalWindow}.
 * </ol>
 *
 * <p>Every pane of a window yields a row holding the window's full value so far; the warehouse
 * upserts by the table key, so the last pane wins. The output is in the global window, each row
 * carrying its window start.
 *
 * <pre>{@code
 * PCollection<CuratedRow> rows =
 *     unique
 *         .apply("AssignEventTime", AssignEventTime.create())
 *         .apply("ComputeMetrics", ComputeMetrics.create().withWindowingPolicy(WindowingPolicy.defaults()));
 * }</pre>
 */
@AutoValue
public abstract class ComputeMetrics
    extends PTransform<PCollection<CollabEvent>, PCollection<CuratedRow>> {

  public static final String METRICS_NAMESPACE = "metrics";

  /** Events too late for the minute windows, by the data's rule. */
  public static final String TOO_LATE_MINUTE = "too_late_minute";

  /** Events too late for the hour windows, by the data's rule. */
  public static final String TOO_LATE_HOUR = "too_late_hour";

  /** Events too late for the day windows, by the data's rule. */
  public static final String TOO_LATE_DAY = "too_late_day";

  /** Rows (panes) emitted for {@code active_editors}. */
  public static final String ROWS_ACTIVE_EDITORS = "rows_active_editors";

  /** Rows (panes) emitted for {@code task_update_velocity}. */
  public static final String ROWS_TASK_UPDATE_VELOCITY = "rows_task_update_velocity";

  /** Rows (panes) emitted for {@code notification_fanout}. */
  public static final String ROWS_NOTIFICATION_FANOUT = "rows_notification_fanout";

  /**
   * Events a metric selected but could not key (a notification.sent without trigger id or type).
   */
  public static final String UNKEYED_EVENTS = "unkeyed_events";

  /**
   * Partials a bundle holds before all are sent on (a batch runner's bundle can be a partition).
   */
  static final int DEFAULT_MAX_HELD = 50_000;

  abstract @Nullable WindowingPolicy windowingPolicy();

  abstract int maxHeld();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setWindowingPolicy(WindowingPolicy policy);

    abstract Builder setMaxHeld(int maxHeld);

    abstract ComputeMetrics build();
  }

  /** The metrics with {@link WindowingPolicy#defaults()}. */
  public static ComputeMetrics create() {
    return new AutoValue_ComputeMetrics.Builder()
        .setWindowingPolicy(WindowingPolicy.defaults())
        .setMaxHeld(DEFAULT_MAX_HELD)
        .build();
  }

  /**
   * Another limit than {@value #DEFAULT_MAX_HELD} partials held per bundle (for tests, which reach
   * it with a few events).
   */
  ComputeMetrics withMaxHeld(int maxHeld) {
    if (maxHeld < 1) {
      throw new IllegalArgumentException("withMaxHeld(n) needs n >= 1, got " + maxHeld);
    }
    return toBuilder().setMaxHeld(maxHeld).build();
  }

  public ComputeMetrics withWindowingPolicy(WindowingPolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException("withWindowingPolicy(policy) needs a policy");
    }
    return toBuilder().setWindowingPolicy(policy).build();
  }

  /**
   * The counter, in {@link #METRICS_NAMESPACE}, of events too late for windows of {@code
   * granularity}.
   */
  public static String tooLateCounterName(Granularity granularity) {
    switch (granularity) {
      case MINUTE:
        return TOO_LATE_MINUTE;
      case HOUR:
        return TOO_LATE_HOUR;
      case DAY:
        return TOO_LATE_DAY;
      default:
        throw new IllegalArgumentException("no counter for granularity " + granularity);
    }
  }

  /** The counter, in {@link #METRICS_NAMESPACE}, of rows emitted for {@code table}. */
  public static String rowsCounterName(CuratedTable table) {
    switch (table) {
      case ACTIVE_EDITORS:
        return ROWS_ACTIVE_EDITORS;
      case TASK_UPDATE_VELOCITY:
        return ROWS_TASK_UPDATE_VELOCITY;
      case NOTIFICATION_FANOUT:
        return ROWS_NOTIFICATION_FANOUT;
      default:
        throw new IllegalArgumentException(
            "ComputeMetrics does not produce table " + table.tableName());
    }
  }

  @Override
  public PCollection<CuratedRow> expand(PCollection<CollabEvent> events) {
    WindowingPolicy policy = windowingPolicy();
    if (policy == null) {
      throw new IllegalStateException(
          "ComputeMetrics needs a windowing policy: use withWindowingPolicy(policy)");
    }
    if (!(events.getWindowingStrategy().getWindowFn() instanceof GlobalWindows)) {
      throw new IllegalArgumentException(
          "ComputeMetrics takes events in the global window, got "
              + events.getWindowingStrategy().getWindowFn());
    }
    // One pass for the nine (table, granularity) metrics: each event gives its contributions
    // (Contributor) straight to one partial accumulator per key and window held for the bundle
    // (HeldContributions), at the finest granularity it is in time for, the minutes rolled up into
    // hours and days when the partials go on. Neither the event nor a contribution crosses a
    // hand-over. In a batch pipeline the partials are windowed by their key's granularity
    // (MetricWindows) and one combine keeps each key's and window's accumulator; a stream keeps a
    // key's windows in one map instead, with the same panes (PanesInWindows): Beam's windowed
    // combine read four or five states and set two timers for every partial, about one per event.
    // On Flink batch the partials are grouped and merged rather than combined (BatchGrouping):
    // one sort of them instead of two. There they only cross that sort (a batch job keeps no state
    // and never restores one), so their items are written in table order, with no sort per
    // partial; a stream keeps the sorted encoding, the bytes its checkpoints have held.
    boolean flinkBatch = BatchGrouping.isBoundedFlinkBatch(events);
    PCollection<KV<String, MetricAccumulator>> partials =
        events
            .apply(
                "SelectAndAccumulate",
                ParDo.of(
                    new SelectAndAccumulateFn(policy.allowedLateness().getMillis(), maxHeld())))
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(),
                    flinkBatch
                        ? MetricAccumulatorCoder.inTableOrder()
                        : MetricAccumulatorCoder.of()));
    if (!BatchGrouping.isBoundedBatch(events)) {
      return partials
          .apply("PanesInWindows", ParDo.of(new PanesInWindows(policy)))
          .setCoder(CuratedRowCoder.of())
          .apply("ToGlobalWindow", MetricWindows.<CuratedRow>toGlobalWindow());
    }
    return rowsOf(
        partials.apply("MetricWindows", MetricWindows.<MetricAccumulator>byKeyGranularity(policy)));
  }

  /**
   * The partial accumulators of each key's windows merged, and the rows of the merged ones, in the
   * global window: the end of a batch pipeline's way to the rows ({@link ShardedMetrics} too),
   * under the caller's composite. A stream's rows come from {@link PanesInWindows}.
   */
  static PCollection<CuratedRow> rowsOf(PCollection<KV<String, MetricAccumulator>> partials) {
    return partials
        .apply("CombinePerKey", BatchGrouping.combinePerKey(partials, new MergeAccumulatorsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), MetricTotalsCoder.of()))
        .apply("ToRows", ParDo.of(new ToRowsFn()))
        .setCoder(CuratedRowCoder.of())
        .apply("ToGlobalWindow", MetricWindows.<CuratedRow>toGlobalWindow());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    WindowingPolicy policy = windowingPolicy();
    if (policy != null) {
      builder
          .add(DisplayData.item("earlyFiringDelay", policy.earlyFiringDelay()))
          .add(DisplayData.item("allowedLateness", policy.allowedLateness()))
          .add(DisplayData.item("latenessSlack", policy.latenessSlack()));
    }
  }

  /** "Minute", "Hour", "Day": the stable suffix of the per-granularity step names. */
  static String stepSuffix(Granularity g) {
    String code = g.code();
    return Character.toUpperCase(code.charAt(0)) + code.substring(1);
  }

  private static void addTaskEvent(MetricAccumulator acc, CollabEvent e) {
    acc.addCount(1);
    if (e.taskGid() != null) {
      acc.addItem(e.taskGid(), 1);
    }
    if (completesTask(e)) {
      acc.addCompleted(1);
    }
  }

  private static @Nullable KV<String, String> fanoutKey(CollabEvent e) {
    if (e.triggerEventType() == null || e.triggerEventId() == null) {
      return null;
    }
    return KV.of(e.workspaceGid(), e.triggerEventType());
  }

  /**
   * Whether the actor of {@code e} counts for active_editors ({@link EventType#countsAsEditor()}).
   */
  static boolean isEditorEvent(CollabEvent e) {
    EventType type = EventType.forWireNameOrNull(e.eventType());
    return type != null && type.countsAsEditor();
  }

  /** Whether {@code e} counts in task_update_velocity ({@link EventType#isTaskEvent()}). */
  static boolean isTaskEvent(CollabEvent e) {
    EventType type = EventType.forWireNameOrNull(e.eventType());
    return type != null && type.isTaskEvent();
  }

  /** Whether {@code e} counts in tasks_completed ({@link EventType#completesTask()}). */
  static boolean completesTask(CollabEvent e) {
    EventType type = EventType.forWireNameOrNull(e.eventType());
    return type != null && type.completesTask();
  }

  /** Whether {@code e} counts in notification_fanout ({@link EventType#isNotification()}). */
  static boolean isNotification(CollabEvent e) {
    EventType type = EventType.forWireNameOrNull(e.eventType());
    return type != null && type.isNotification();
  }

  /**
   * The keys of the combine: {@code <granularity><table><key>}, the granularity and table as one
   * character each ({@link GranularityWindows#keyPrefix}, the table's ordinal), then the table's
   * own key: the workspace gid, or for notification_fanout the workspace gid, NUL and the trigger
   * event type (gids are digits and event types dotted words, so NUL is in neither).
   */
  static final class MetricKeys {
    private MetricKeys() {}

    static String of(Granularity g, CuratedTable table, String key) {
      return new StringBuilder(key.length() + 2)
          .append(GranularityWindows.keyPrefix(g))
          .append((char) ('0' + table.ordinal()))
          .append(key)
          .toString();
    }

    static CuratedTable table(String metricKey) {
      return CuratedTable.values()[metricKey.charAt(1) - '0'];
    }

    static String key(String metricKey) {
      return metricKey.substring(2);
    }

    static String fanoutKey(String workspaceGid, String triggerEventType) {
      return workspaceGid + '\u0000' + triggerEventType;
    }
  }

  /** What one contribution adds to an accumulator. */
  static final class Contributions {
    private Contributions() {}

    /** A contribution with {@code item} (null for none) and whether it completes a task. */
    static void add(MetricAccumulator acc, @Nullable String item, boolean completes) {
      acc.addCount(1);
      if (item != null) {
        acc.addItem(item, 1);
      }
      if (completes) {
        acc.addCompleted(1);
      }
    }
  }

  /**
   * The contributions of one event to the combine: drops, per granularity, the events too late for
   * their window ({@code receivedAt > windowEnd(g, occurredAt) + allowedLateness}, counted by
   * {@link #tooLateCounterName}), and keys each other event once per table that selects it:
   * active_editors (the actor), task_update_velocity (the task gid, whether it completes the task),
   * notification_fanout (the trigger event id). What {@link HeldContributions} accumulates, for
   * this transform and {@link ShardedMetrics}. The granularities come finest first (minute, hour,
   * day), and an event in time for one is in time for the longer ones: {@code HeldContributions}
   * takes the first it is given and rolls the others up from it.
   */
  static final class Contributor implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final Counter UNKEYED = Metrics.counter(METRICS_NAMESPACE, UNKEYED_EVENTS);
    private static final Granularity[] GRANULARITIES = Granularity.values();
    private final long allowedLatenessMillis;
    private final Counter[] tooLate;

    /**
     * Takes one contribution: to {@code key} of {@code table} (the workspace gid, or for
     * notification_fanout {@link MetricKeys#fanoutKey}) in a window of {@code granularity}, with
     * its item (null for none) and whether it completes a task ({@link Contributions#add}); the
     * combine's key is {@link MetricKeys#of}{@code (granularity, table, key)}.
     */
    @FunctionalInterface
    interface Sink {
      void accept(
          Granularity granularity,
          CuratedTable table,
          String key,
          @Nullable String item,
          boolean completes);
    }

    Contributor(long allowedLatenessMillis) {
      this.allowedLatenessMillis = allowedLatenessMillis;
      this.tooLate = new Counter[GRANULARITIES.length];
      for (Granularity g : GRANULARITIES) {
        tooLate[g.ordinal()] = Metrics.counter(METRICS_NAMESPACE, tooLateCounterName(g));
      }
    }

    void contribute(CollabEvent event, Sink sink) {
      EventType type = EventType.forWireNameOrNull(event.eventType());
      boolean editor = type != null && type.countsAsEditor();
      boolean task = type != null && type.isTaskEvent();
      boolean notification = type != null && type.isNotification();
      boolean completes = task && type.completesTask();
      String workspace = event.workspaceGid();
      String fanoutKey =
          notification && event.triggerEventType() != null && event.triggerEventId() != null
              ? MetricKeys.fanoutKey(workspace, event.triggerEventType())
              : null;
      for (Granularity g : GRANULARITIES) {
        long windowEnd = g.windowStart(event.occurredAtMillis()) + g.size().getMillis();
        if (event.receivedAtMillis() > windowEnd + allowedLatenessMillis) {
          tooLate[g.ordinal()].inc();
          continue;
        }
        if (editor) {
          sink.accept(g, CuratedTable.ACTIVE_EDITORS, workspace, event.actorId(), false);
        }
        if (task) {
          sink.accept(g, CuratedTable.TASK_UPDATE_VELOCITY, workspace, event.taskGid(), completes);
        }
        if (notification) {
          if (fanoutKey == null) {
            UNKEYED.inc();
          } else {
            sink.accept(
                g, CuratedTable.NOTIFICATION_FANOUT, fanoutKey, event.triggerEventId(), false);
          }
        }
      }
    }
  }

  /**
   * Each event's contributions ({@link Contributor}) into the partial accumulators of the bundle
   * ({@link HeldContributions}), sent on at the end of the bundle, or all at once when more than
   * {@code maxHeld} are held, each in the global window at the earliest event time it holds. The
   * runners do not move a step's output watermark while one of its bundles is open (the Flink
   * runner holds it until the bundle ends), so a partial is exactly as late as its earliest event.
   */
  private static final class SelectAndAccumulateFn
      extends DoFn<CollabEvent, KV<String, MetricAccumulator>> {
    private final Contributor contributor;
    private final int maxHeld;
    private transient HeldContributions held;

    SelectAndAccumulateFn(long allowedLatenessMillis, int maxHeld) {
      this.contributor = new Contributor(allowedLatenessMillis);
      this.maxHeld = maxHeld;
    }

    @StartBundle
    public void startBundle() {
      held = new HeldContributions(contributor, maxHeld);
    }

    @ProcessElement
    public void processElement(
        @Element CollabEvent event, OutputReceiver<KV<String, MetricAccumulator>> out) {
      held.add(event);
      if (held.overfull()) {
        held.emitAll(out::outputWithTimestamp);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      held.emitAll((partial, at) -> context.output(partial, at, GlobalWindow.INSTANCE));
    }

    /** A partial goes out at its earliest event, which may be before the event at hand. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  /**
   * The combine of the partials ({@link HeldContributions}): partial accumulators, merged. Its
   * output is the {@link MetricTotals} a row needs, not a copy of the accumulator, as {@link
   * PanesInWindows} takes them at every pane: copying a day window's items at each firing of an
   * accumulating pane cost more than the merges.
   */
  private static final class MergeAccumulatorsFn
      extends Combine.CombineFn<MetricAccumulator, MetricAccumulator, MetricTotals> {
    @Override
    public MetricAccumulator createAccumulator() {
      return new MetricAccumulator();
    }

    @Override
    public MetricAccumulator addInput(MetricAccumulator acc, MetricAccumulator partial) {
      return acc.mergeFrom(partial);
    }

    @Override
    public MetricAccumulator mergeAccumulators(Iterable<MetricAccumulator> accumulators) {
      MetricAccumulator merged = new MetricAccumulator();
      for (MetricAccumulator acc : accumulators) {
        merged.mergeFrom(acc);
      }
      return merged;
    }

    @Override
    public MetricTotals extractOutput(MetricAccumulator acc) {
      return MetricTotals.of(acc);
    }

    @Override
    public Coder<MetricAccumulator> getAccumulatorCoder(
        CoderRegistry registry, Coder<MetricAccumulator> inputCoder) {
      return MetricAccumulatorCoder.of();
    }

    @Override
    public Coder<MetricTotals> getDefaultOutputCoder(
        CoderRegistry registry, Coder<MetricAccumulator> inputCoder) {
      return MetricTotalsCoder.of();
    }
  }

  /** The row of one table, granularity, window and key, from its totals. */
  private static final class ToRowsFn extends DoFn<KV<String, MetricTotals>, CuratedRow> {
    @ProcessElement
    public void processElement(
        @Element KV<String, MetricTotals> element,
        BoundedWindow window,
        OutputReceiver<CuratedRow> out) {
      long start = ((IntervalWindow) window).start().getMillis();
      out.output(row(start, element.getKey(), element.getValue()));
    }
  }

  private static final Counter[] ROWS = rowCounters();

  private static Counter[] rowCounters() {
    Counter[] rows = new Counter[CuratedTable.values().length];
    for (CuratedTable table :
        new CuratedTable[] {
          CuratedTable.ACTIVE_EDITORS,
          CuratedTable.TASK_UPDATE_VELOCITY,
          CuratedTable.NOTIFICATION_FANOUT
        }) {
      rows[table.ordinal()] = Metrics.counter(METRICS_NAMESPACE, rowsCounterName(table));
    }
    return rows;
  }

  /**
   * The row of the window starting at {@code start} of a combine key ({@link MetricKeys}), from its
   * totals, counted in {@link #rowsCounterName}.
   */
  static CuratedRow row(long start, String metricKey, MetricTotals totals) {
    Granularity g = GranularityWindows.granularityOf(metricKey);
    CuratedTable table = MetricKeys.table(metricKey);
    String key = MetricKeys.key(metricKey);
    CuratedRow row;
    switch (table) {
      case ACTIVE_EDITORS:
        row = CuratedRow.activeEditors(start, g, key, totals.distinctItems());
        break;
      case TASK_UPDATE_VELOCITY:
        row =
            CuratedRow.taskUpdateVelocity(
                start, g, key, totals.count(), totals.distinctItems(), totals.completed());
        break;
      case NOTIFICATION_FANOUT:
        int nul = key.indexOf('\u0000');
        row =
            CuratedRow.notificationFanout(
                start,
                g,
                key.substring(0, nul),
                key.substring(nul + 1),
                totals.distinctItems(),
                totals.count(),
                totals.maxItemCount());
        break;
      default:
        throw new IllegalStateException("ComputeMetrics keyed a row for table " + table);
    }
    ROWS[table.ordinal()].inc();
    return row;
  }
}
