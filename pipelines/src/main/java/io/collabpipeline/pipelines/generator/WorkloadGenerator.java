package io.collabpipeline.pipelines.generator;

import io.collabpipeline.model.EventType;
import io.collabpipeline.model.ReasonCode;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A deterministic, Asana-like synthetic workload: delivery {@code i} is computed from (seed, i)
 * alone, so any index can be produced independently, in any order and in parallel, and the same
 * spec always gives the same bytes.
 *
 * <p>The mix: many {@code task.updated} and {@code notification.sent}, fewer comments, few
 * membership, workspace and erasure events. A {@code notification.sent} refers to a real, earlier,
 * valid trigger event of the same workspace (its event id and type), and several notifications
 * share a trigger (fan-out). Workspaces are Zipf-sized; events carry the bulk of real clients (user
 * agents, emails, names, session ids, comment text, unknown extra fields), about 1.5 KB each.
 * Delivery {@code i} arrives at {@code start + i / syntheticRate}; a normal event occurred 0–5 s
 * before, a late one minutes before (up to {@code maxLateness}), a too-late one hours before.
 *
 * <p>A {@link Delivery.Kind#DUPLICATE} repeats the bytes of an earlier {@link
 * Delivery.Kind#ORIGINAL} (never of a malformed record); a {@link Delivery.Kind#MALFORMED} delivery
 * is a valid event corrupted in one way that maps to one {@link ReasonCode}. Thread-safe.
 *
 * <p>The parts, each a pure function of (spec, index): {@link DeliveryPlan} (kind, retries, type by
 * {@link EventMix}, notification triggers, platform, event id), {@link DeliveryTimes} (arrival
 * clock, late and too-late delays), {@link Population} (workspaces, users and their identities),
 * {@link EventWriter} and {@link PayloadWriter} (the JSON), and {@link MalformedRecords} (the
 * corruptions).
 */
public final class WorkloadGenerator {

  /**
   * The wire names of the 13 registered event types of contract 1, in {@link EventType}'s order.
   */
  public static final List<String> EVENT_TYPES =
      Collections.unmodifiableList(
          Arrays.stream(EventType.values()).map(EventType::wireName).collect(Collectors.toList()));

  private final WorkloadSpec spec;
  private final DeliveryTimes times;
  private final DeliveryPlan plan;
  private final EventWriter events;
  private final MalformedRecords malformed;

  public WorkloadGenerator(WorkloadSpec spec) {
    spec.validate();
    this.spec = spec;
    this.times = new DeliveryTimes(spec);
    this.plan = new DeliveryPlan(spec);
    this.events = new EventWriter(spec, plan, times, new Population(spec));
    this.malformed = new MalformedRecords(spec, times, events);
  }

  public WorkloadSpec spec() {
    return spec;
  }

  /** The reason codes malformed deliveries of this workload are spread over (uniformly). */
  public List<ReasonCode> malformedReasons() {
    return malformed.reasons();
  }

  /**
   * Arrival time of delivery {@code index} on the synthetic arrival clock, epoch millis;
   * non-decreasing in index.
   */
  public long arrivalMillis(long index) {
    return times.arrivalMillis(index);
  }

  /**
   * As {@link #arrivalMillis(long)}, for callers that hold only the spec's values (a timestamp
   * function, say).
   */
  public static long arrivalMillis(long startMillis, double syntheticRate, long index) {
    return DeliveryTimes.arrivalMillis(startMillis, syntheticRate, index);
  }

  /** Delivery {@code index} of the workload, computed from (seed, index) alone. */
  public Delivery delivery(long index) {
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    Delivery.Kind kind = plan.kind(index);
    if (kind == Delivery.Kind.DUPLICATE) {
      long target = plan.retryTarget(index);
      if (target >= 0) {
        GeneratedEvent original = events.write(target, null);
        return Delivery.create(
            index,
            original.bytes(),
            times.arrivalMillis(index),
            Delivery.Kind.DUPLICATE,
            null,
            original.eventId(),
            original.eventType(),
            target,
            original.occurredAtMillis());
      }
      kind = Delivery.Kind.ORIGINAL; // nothing close enough to repeat
    }
    if (kind == Delivery.Kind.MALFORMED) {
      return malformed.delivery(index);
    }
    GeneratedEvent event = events.write(index, null);
    return Delivery.create(
        index,
        event.bytes(),
        times.arrivalMillis(index),
        Delivery.Kind.ORIGINAL,
        null,
        event.eventId(),
        event.eventType(),
        -1,
        event.occurredAtMillis());
  }
}
