package io.collabpipeline.transforms.metrics;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.CuratedRowCoder;
import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.EventType;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import java.io.Serializable;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The curated collaboration metrics: {@code active_editors}, {@code task_update_velocity} and
 * {@code notification_fanout}, per minute, hour and day.
 *
 * <p>The input must be timestamped with event time (after {@code AssignEventTime}) and already
 * deduplicated, so the counts are exact. For each {@link Granularity}:
 *
 * <ol>
 *   <li>{@code DropTooLate<G>}: an event is too late for a window of that granularity when it
 *       arrived after the window's end plus {@link WindowingPolicy#allowedLateness()} ({@code
 *       receivedAt > windowEnd(g, occurredAt) + allowedLateness}). The data decides, not the
 *       runner, so every runner and mode gives the same rows. Such events are left out of that
 *       granularity only and counted ({@link #tooLateCounterName(Granularity)}).
 *   <li>{@code MetricWindows<G>}: {@link MetricWindows} (early, on-time and late panes,
 *       accumulating).
 *   <li>{@code ActiveEditors<G>}, {@code TaskUpdateVelocity<G>}, {@code NotificationFanout<G>}:
 *       exact combines with {@link MetricAccumulator}, one row per window and key, selecting events
 *       by the properties of their {@link EventType} (an unregistered type counts for nothing):
 *       <ul>
 *         <li>active_editors per workspace: distinct actors of task.created|updated|completed,
 *             comment.added|edited and project.member_added|removed events;
 *         <li>task_update_velocity per workspace: task.* events, distinct task gids among them,
 *             task.completed events;
 *         <li>notification_fanout per workspace and trigger event type, over notification.sent:
 *             distinct trigger event ids, notifications, and the most notifications of one trigger
 *             id.
 *       </ul>
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

  abstract @Nullable WindowingPolicy windowingPolicy();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setWindowingPolicy(WindowingPolicy policy);

    abstract ComputeMetrics build();
  }

  /** The metrics with {@link WindowingPolicy#defaults()}. */
  public static ComputeMetrics create() {
    return new AutoValue_ComputeMetrics.Builder()
        .setWindowingPolicy(WindowingPolicy.defaults())
        .build();
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
    PCollectionList<CuratedRow> rows = PCollectionList.empty(events.getPipeline());
    for (Granularity g : Granularity.values()) {
      String suffix = stepSuffix(g);
      PCollection<CollabEvent> windowed =
          events
              .apply(
                  "DropTooLate" + suffix,
                  ParDo.of(new DropTooLateFn(g, policy.allowedLateness().getMillis())))
              .setCoder(CollabEventCoder.of())
              .apply("MetricWindows" + suffix, MetricWindows.of(g, policy));
      rows =
          rows.and(
                  windowed.apply(
                      "ActiveEditors" + suffix,
                      new TableMetric<>(
                          g,
                          CuratedTable.ACTIVE_EDITORS,
                          ComputeMetrics::isEditorEvent,
                          CollabEvent::workspaceGid,
                          StringUtf8Coder.of(),
                          (acc, e) -> acc.addCount(1).addItem(e.actorId(), 1),
                          (start, gran, workspace, acc) ->
                              CuratedRow.activeEditors(
                                  start, gran, workspace, acc.distinctItems()))))
              .and(
                  windowed.apply(
                      "TaskUpdateVelocity" + suffix,
                      new TableMetric<>(
                          g,
                          CuratedTable.TASK_UPDATE_VELOCITY,
                          ComputeMetrics::isTaskEvent,
                          CollabEvent::workspaceGid,
                          StringUtf8Coder.of(),
                          ComputeMetrics::addTaskEvent,
                          (start, gran, workspace, acc) ->
                              CuratedRow.taskUpdateVelocity(
                                  start,
                                  gran,
                                  workspace,
                                  acc.count(),
                                  acc.distinctItems(),
                                  acc.completed()))))
              .and(
                  windowed.apply(
                      "NotificationFanout" + suffix,
                      new TableMetric<>(
                          g,
                          CuratedTable.NOTIFICATION_FANOUT,
                          ComputeMetrics::isNotification,
                          ComputeMetrics::fanoutKey,
                          KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()),
                          (acc, e) -> acc.addCount(1).addItem(e.triggerEventId(), 1),
                          (start, gran, key, acc) ->
                              CuratedRow.notificationFanout(
                                  start,
                                  gran,
                                  key.getKey(),
                                  key.getValue(),
                                  acc.distinctItems(),
                                  acc.count(),
                                  acc.maxItemCount()))));
    }
    return rows.apply("FlattenMetricRows", Flatten.pCollections()).setCoder(CuratedRowCoder.of());
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

  /** Adds one event to an accumulator. */
  interface Accumulate extends Serializable {
    void add(MetricAccumulator acc, CollabEvent event);
  }

  /** Builds the row of one window and key from its accumulator. */
  interface RowMaker<K> extends Serializable {
    CuratedRow make(long windowStart, Granularity granularity, K key, MetricAccumulator acc);
  }

  private static final class DropTooLateFn extends DoFn<CollabEvent, CollabEvent> {
    private final Granularity granularity;
    private final long allowedLatenessMillis;
    private final Counter tooLate;

    DropTooLateFn(Granularity granularity, long allowedLatenessMillis) {
      this.granularity = granularity;
      this.allowedLatenessMillis = allowedLatenessMillis;
      this.tooLate = Metrics.counter(METRICS_NAMESPACE, tooLateCounterName(granularity));
    }

    @ProcessElement
    public void processElement(@Element CollabEvent event, OutputReceiver<CollabEvent> out) {
      long windowEnd =
          granularity.windowStart(event.occurredAtMillis()) + granularity.size().getMillis();
      if (event.receivedAtMillis() > windowEnd + allowedLatenessMillis) {
        tooLate.inc();
      } else {
        out.output(event);
      }
    }
  }

  /** One curated table at one granularity: select, key, exact combine per window and key, rows. */
  private static final class TableMetric<K>
      extends PTransform<PCollection<CollabEvent>, PCollection<CuratedRow>> {
    private final Granularity granularity;
    private final CuratedTable table;
    private final SerializableFunction<CollabEvent, Boolean> select;
    private final SerializableFunction<CollabEvent, @Nullable K> key;
    private final Coder<K> keyCoder;
    private final Accumulate accumulate;
    private final RowMaker<K> rowMaker;

    TableMetric(
        Granularity granularity,
        CuratedTable table,
        SerializableFunction<CollabEvent, Boolean> select,
        SerializableFunction<CollabEvent, @Nullable K> key,
        Coder<K> keyCoder,
        Accumulate accumulate,
        RowMaker<K> rowMaker) {
      this.granularity = granularity;
      this.table = table;
      this.select = select;
      this.key = key;
      this.keyCoder = keyCoder;
      this.accumulate = accumulate;
      this.rowMaker = rowMaker;
    }

    @Override
    public PCollection<CuratedRow> expand(PCollection<CollabEvent> windowed) {
      return windowed
          .apply("SelectAndKey", ParDo.of(new SelectAndKeyFn<>(select, key)))
          .setCoder(KvCoder.of(keyCoder, CollabEventCoder.of()))
          .apply("CombinePerKey", Combine.perKey(new MetricCombineFn(accumulate)))
          .setCoder(KvCoder.of(keyCoder, MetricAccumulatorCoder.of()))
          .apply("ToRows", ParDo.of(new ToRowsFn<>(granularity, table, rowMaker)))
          .setCoder(CuratedRowCoder.of())
          .apply("ToGlobalWindow", MetricWindows.<CuratedRow>toGlobalWindow());
    }
  }

  private static final class SelectAndKeyFn<K> extends DoFn<CollabEvent, KV<K, CollabEvent>> {
    private static final Counter UNKEYED = Metrics.counter(METRICS_NAMESPACE, UNKEYED_EVENTS);
    private final SerializableFunction<CollabEvent, Boolean> select;
    private final SerializableFunction<CollabEvent, @Nullable K> key;

    SelectAndKeyFn(
        SerializableFunction<CollabEvent, Boolean> select,
        SerializableFunction<CollabEvent, @Nullable K> key) {
      this.select = select;
      this.key = key;
    }

    @ProcessElement
    public void processElement(@Element CollabEvent event, OutputReceiver<KV<K, CollabEvent>> out) {
      if (!select.apply(event)) {
        return;
      }
      K k = key.apply(event);
      if (k == null) {
        UNKEYED.inc();
        return;
      }
      out.output(KV.of(k, event));
    }
  }

  private static final class MetricCombineFn
      extends Combine.CombineFn<CollabEvent, MetricAccumulator, MetricAccumulator> {
    private final Accumulate accumulate;

    MetricCombineFn(Accumulate accumulate) {
      this.accumulate = accumulate;
    }

    @Override
    public MetricAccumulator createAccumulator() {
      return new MetricAccumulator();
    }

    @Override
    public MetricAccumulator addInput(MetricAccumulator acc, CollabEvent event) {
      accumulate.add(acc, event);
      return acc;
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
    public MetricAccumulator extractOutput(MetricAccumulator acc) {
      // A copy: with accumulating panes the runner keeps adding to the accumulator after a pane was
      // emitted.
      return new MetricAccumulator(acc.count(), acc.completed(), new TreeMap<>(acc.items()));
    }

    @Override
    public Coder<MetricAccumulator> getAccumulatorCoder(
        CoderRegistry registry, Coder<CollabEvent> inputCoder) throws CannotProvideCoderException {
      return MetricAccumulatorCoder.of();
    }

    @Override
    public Coder<MetricAccumulator> getDefaultOutputCoder(
        CoderRegistry registry, Coder<CollabEvent> inputCoder) throws CannotProvideCoderException {
      return MetricAccumulatorCoder.of();
    }
  }

  private static final class ToRowsFn<K> extends DoFn<KV<K, MetricAccumulator>, CuratedRow> {
    private final Granularity granularity;
    private final RowMaker<K> rowMaker;
    private final Counter rows;

    ToRowsFn(Granularity granularity, CuratedTable table, RowMaker<K> rowMaker) {
      this.granularity = granularity;
      this.rowMaker = rowMaker;
      this.rows = Metrics.counter(METRICS_NAMESPACE, rowsCounterName(table));
    }

    @ProcessElement
    public void processElement(
        @Element KV<K, MetricAccumulator> element,
        BoundedWindow window,
        OutputReceiver<CuratedRow> out) {
      long windowStart = ((IntervalWindow) window).start().getMillis();
      out.output(rowMaker.make(windowStart, granularity, element.getKey(), element.getValue()));
      rows.inc();
    }
  }
}
