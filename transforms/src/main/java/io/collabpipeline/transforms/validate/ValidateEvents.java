package io.collabpipeline.transforms.validate;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.coders.QuarantineRecordCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.RawUnionValue;
import org.apache.beam.sdk.transforms.join.UnionCoder;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Turns raw records into validated, PII-minimized {@link CollabEvent}s, and every record it cannot
 * accept into a {@link QuarantineRecord}: each input produces exactly one of the two outputs, so
 * {@code received = accepted + quarantined}.
 *
 * <p>One step ({@value #STEP_NAME}) parses each record once and checks, in order: strict JSON (RFC
 * 8259: UTF-8, no duplicate key, nesting at most {@link #withMaxNestingDepth}, at most {@link
 * #withMaxRecordBytes}, one value then only white space, an object, no string escaping a lone
 * UTF-16 surrogate), the envelope schema, an RFC 3339 {@code occurred_at} with an offset, no more
 * than {@link #withMaxEventTimeAhead} after the record's arrival and no more than {@link
 * #withMaxEventAge} before it, a registered {@code event_type}, a known {@code schema_version}, and
 * the payload schema of (type, version). The first failing check gives the {@link ReasonCode}; the
 * quarantine record keeps the original bytes and source coordinates, a detail that names locations
 * and rules but never a value, and the event id and type where they are readable.
 *
 * <p>The bounds on {@code occurred_at} are judged against each record's own arrival time ({@link
 * RawRecord#receivedAtMillis()}), never the wall clock, so validating the same records again (a
 * quarantine replay, a re-run) gives the same answer. They keep clocks that are far off (year 9999,
 * year 1) out of the metric windows, whose state would otherwise grow for as long as such events
 * come, and out of the raw store's partitions.
 *
 * <p>An accepted event carries the envelope's typed fields, the pseudonym of {@code actor.user_gid}
 * and the minimized payload (see {@link PayloadMinimizer}: identifiers pseudonymized, direct PII
 * and free text removed with their declared derived facts kept, undeclared fields dropped and
 * counted). The envelope's {@code actor.email}, {@code actor.name} and {@code context} never reach
 * an output other than the quarantine.
 *
 * <p>Outputs keep their input element timestamps (arrival time). Nothing is logged about a record.
 * The pseudonym key is resolved on the worker in {@code @Setup}; only its {@link KeyReference} is
 * in the graph. With {@link #withUserKeyStore} the pseudonyms are per-user (crypto-shredding, see
 * {@link Pseudonymizer}): the store is opened in {@code @Setup} from its reference (one open store
 * per worker JVM and reference) and closed in {@code @Teardown}; a store that cannot be read or
 * written fails the bundle, which the runner retries (no event is quarantined for it).
 *
 * <p>Beam metrics in namespace {@value #METRIC_NAMESPACE}: {@value #RECEIVED}, {@value #ACCEPTED},
 * {@value #QUARANTINED}, one {@code quarantined.<REASON>} per reason ({@link
 * #quarantinedCounterName}), and {@value #UNKNOWN_FIELDS_DROPPED}.
 *
 * <pre>{@code
 * ValidateEvents.Result validated =
 *     records.apply("ValidateEvents", ValidateEvents.create().withPseudonymKey(KeyReference.parse("env:COLLAB_KEY")));
 * validated.events();       // PCollection<CollabEvent>, minimized
 * validated.quarantined();  // PCollection<QuarantineRecord>, with a reason code each
 * }</pre>
 */
@AutoValue
public abstract class ValidateEvents
    extends PTransform<PCollection<RawRecord>, ValidateEvents.Result> {
  private static final long serialVersionUID = 1L;

  /** Contract 1: one event is at most 1 MiB. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

  public static final int DEFAULT_MAX_NESTING_DEPTH = 64;

  /**
   * How far after its arrival an event may have occurred, in days (client clock skew), for option
   * annotations.
   */
  public static final long DEFAULT_MAX_EVENT_TIME_AHEAD_DAYS = 1;

  /**
   * How long before its arrival an event may have occurred, in days: the raw store's retention, for
   * annotations.
   */
  public static final long DEFAULT_MAX_EVENT_AGE_DAYS = 180;

  /** {@link #DEFAULT_MAX_EVENT_TIME_AHEAD_DAYS} as a duration. */
  public static final Duration DEFAULT_MAX_EVENT_TIME_AHEAD =
      Duration.standardDays(DEFAULT_MAX_EVENT_TIME_AHEAD_DAYS);

  /** {@link #DEFAULT_MAX_EVENT_AGE_DAYS} as a duration. */
  public static final Duration DEFAULT_MAX_EVENT_AGE =
      Duration.standardDays(DEFAULT_MAX_EVENT_AGE_DAYS);

  /** The name of the one step inside this composite; stable (Flink savepoints depend on it). */
  public static final String STEP_NAME = "ParseValidateMinimize";

  /** With {@link #withArrivals}, the step after it that splits its second output. */
  public static final String SPLIT_STEP_NAME = "SplitQuarantinedAndArrivals";

  private static final int QUARANTINED_UNION_TAG = 0;
  private static final int ARRIVAL_UNION_TAG = 1;

  public static final String METRIC_NAMESPACE = "validate";
  public static final String RECEIVED = "received";
  public static final String ACCEPTED = "accepted";
  public static final String QUARANTINED = "quarantined";
  public static final String UNKNOWN_FIELDS_DROPPED = "unknown_fields_dropped";

  /** The per-reason quarantine counter, e.g. {@code quarantined.NOT_JSON}. */
  public static String quarantinedCounterName(ReasonCode reason) {
    return QUARANTINED + "." + reason.code();
  }

  abstract @Nullable KeyReference pseudonymKey();

  abstract String userKeyStore();

  abstract int maxRecordBytes();

  abstract int maxNestingDepth();

  abstract Duration maxEventTimeAhead();

  abstract Duration maxEventAge();

  abstract boolean emitsArrivals();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setPseudonymKey(KeyReference key);

    abstract Builder setUserKeyStore(String reference);

    abstract Builder setMaxRecordBytes(int bytes);

    abstract Builder setMaxNestingDepth(int depth);

    abstract Builder setMaxEventTimeAhead(Duration ahead);

    abstract Builder setMaxEventAge(Duration age);

    abstract Builder setEmitsArrivals(boolean emitsArrivals);

    abstract ValidateEvents build();
  }

  /**
   * Defaults: records up to 1 MiB, nesting up to 64, {@code occurred_at} at most 1 day after and
   * 180 days before the record's arrival; {@link #withPseudonymKey} is required.
   */
  public static ValidateEvents create() {
    return new AutoValue_ValidateEvents.Builder()
        .setUserKeyStore(UserKeyStores.NONE)
        .setMaxRecordBytes(DEFAULT_MAX_RECORD_BYTES)
        .setMaxNestingDepth(DEFAULT_MAX_NESTING_DEPTH)
        .setMaxEventTimeAhead(DEFAULT_MAX_EVENT_TIME_AHEAD)
        .setMaxEventAge(DEFAULT_MAX_EVENT_AGE)
        .setEmitsArrivals(false)
        .build();
  }

  /** The secret key for user pseudonyms, by reference. Required. */
  public ValidateEvents withPseudonymKey(KeyReference key) {
    if (key == null) {
      throw new IllegalArgumentException("withPseudonymKey(key) requires a non-null KeyReference");
    }
    return toBuilder().setPseudonymKey(key).build();
  }

  /**
   * The per-user pseudonym secrets, by reference ({@link UserKeyStores#open}: {@code none}, the
   * default, for global-key pseudonyms; {@code jdbc:postgresql:…}; a directory). Only the reference
   * is in the graph; the store is opened on the worker.
   */
  public ValidateEvents withUserKeyStore(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new IllegalArgumentException(
          "withUserKeyStore(reference) requires a reference: none, jdbc:postgresql://… or a"
              + " directory");
    }
    return toBuilder().setUserKeyStore(reference.trim()).build();
  }

  /** Records larger than this are quarantined as {@link ReasonCode#TOO_LARGE}. */
  public ValidateEvents withMaxRecordBytes(int bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException(
          "withMaxRecordBytes(bytes) requires bytes > 0, got " + bytes);
    }
    return toBuilder().setMaxRecordBytes(bytes).build();
  }

  /**
   * Records nesting objects/arrays deeper than this are quarantined as {@link ReasonCode#TOO_DEEP}.
   */
  public ValidateEvents withMaxNestingDepth(int depth) {
    if (depth < 2) {
      throw new IllegalArgumentException(
          "withMaxNestingDepth(depth) requires depth >= 2 (the envelope and its payload), got "
              + depth);
    }
    return toBuilder().setMaxNestingDepth(depth).build();
  }

  /**
   * Events whose {@code occurred_at} is more than {@code ahead} after their record's arrival are
   * quarantined as {@link ReasonCode#OCCURRED_IN_FUTURE}; exactly {@code ahead} is accepted.
   * Non-negative; default {@link #DEFAULT_MAX_EVENT_TIME_AHEAD}, for client clocks that run ahead.
   */
  public ValidateEvents withMaxEventTimeAhead(Duration ahead) {
    return toBuilder().setMaxEventTimeAhead(checkMaxEventTimeAhead(ahead)).build();
  }

  /**
   * Events whose {@code occurred_at} is more than {@code age} before their record's arrival are
   * quarantined as {@link ReasonCode#OCCURRED_TOO_LONG_AGO}; exactly {@code age} is accepted.
   * Positive; default {@link #DEFAULT_MAX_EVENT_AGE}, the raw store's retention. Raise it for a
   * deliberate backfill of older events.
   */
  public ValidateEvents withMaxEventAge(Duration age) {
    return toBuilder().setMaxEventAge(checkMaxEventAge(age)).build();
  }

  /**
   * Also outputs the arrival time of every record received, accepted or not ({@link
   * Result#arrivals()}), for a count of what entered that is independent of what became of it.
   *
   * <p>Why here rather than a step of its own on the records: on Flink's batch runner a step whose
   * output feeds two steps is not chained to either, and sends each of them its own copy of every
   * element; a count of the records beside this step made the reader send every record twice (to
   * disk, where the branches meet again), where this step alone is chained to it. The arrivals
   * leave this step on the same output as the quarantined records, split after it (the runner sends
   * a step's every output to each step that reads one of them, so a third output would cost one
   * more copy of every event).
   */
  public ValidateEvents withArrivals() {
    return toBuilder().setEmitsArrivals(true).build();
  }

  private static Duration checkMaxEventTimeAhead(@Nullable Duration ahead) {
    if (ahead == null || ahead.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          "withMaxEventTimeAhead(ahead) needs a non-negative duration (0 = never after arrival), got "
              + ahead);
    }
    return ahead;
  }

  private static Duration checkMaxEventAge(@Nullable Duration age) {
    if (age == null || !age.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          "withMaxEventAge(age) needs a positive duration, got " + age);
    }
    return age;
  }

  @Override
  public Result expand(PCollection<RawRecord> input) {
    KeyReference key = pseudonymKey();
    if (key == null) {
      throw new IllegalStateException(
          "ValidateEvents needs a pseudonym key: call withPseudonymKey(KeyReference.parse(\"env:NAME\" | "
              + "\"file:/path\" | \"dev\"))");
    }
    long maxAheadMillis = checkMaxEventTimeAhead(maxEventTimeAhead()).getMillis();
    long maxAgeMillis = checkMaxEventAge(maxEventAge()).getMillis();
    TupleTag<CollabEvent> eventsTag = new TupleTag<CollabEvent>("events") {};
    TupleTag<QuarantineRecord> quarantinedTag = new TupleTag<QuarantineRecord>("quarantined") {};
    TupleTag<Long> arrivalsTag = new TupleTag<Long>("arrivals") {};
    // With the arrivals, the step's second output carries both quarantined records (union tag 0)
    // and arrivals (union tag 1).
    TupleTag<?> secondTag =
        emitsArrivals() ? new TupleTag<RawUnionValue>("quarantinedAndArrivals") {} : quarantinedTag;
    PCollectionTuple out =
        input.apply(
            STEP_NAME,
            ParDo.of(
                    new ParseValidateMinimizeFn(
                        key,
                        userKeyStore(),
                        maxRecordBytes(),
                        maxNestingDepth(),
                        maxAheadMillis,
                        maxAgeMillis,
                        eventsTag,
                        secondTag,
                        emitsArrivals()))
                .withOutputTags(eventsTag, TupleTagList.of(secondTag)));
    PCollection<CollabEvent> events = out.get(eventsTag).setCoder(CollabEventCoder.of());
    if (!emitsArrivals()) {
      PCollection<QuarantineRecord> quarantined =
          out.get(quarantinedTag).setCoder(QuarantineRecordCoder.of());
      return new Result(input.getPipeline(), eventsTag, events, quarantinedTag, quarantined, null);
    }
    @SuppressWarnings("unchecked")
    TupleTag<RawUnionValue> unionTag = (TupleTag<RawUnionValue>) secondTag;
    PCollectionTuple split =
        out.get(unionTag)
            .setCoder(UnionCoder.of(List.of(QuarantineRecordCoder.of(), VarLongCoder.of())))
            .apply(
                SPLIT_STEP_NAME,
                ParDo.of(new SplitQuarantinedAndArrivalsFn(quarantinedTag, arrivalsTag))
                    .withOutputTags(quarantinedTag, TupleTagList.of(arrivalsTag)));
    PCollection<QuarantineRecord> quarantined =
        split.get(quarantinedTag).setCoder(QuarantineRecordCoder.of());
    PCollection<Long> arrivals = split.get(arrivalsTag).setCoder(VarLongCoder.of());
    return new Result(
        input.getPipeline(), eventsTag, events, quarantinedTag, quarantined, arrivals);
  }

  /** Sends each element of the step's second output to the quarantine or to the arrivals. */
  private static final class SplitQuarantinedAndArrivalsFn
      extends DoFn<RawUnionValue, QuarantineRecord> {
    private static final long serialVersionUID = 1L;

    private final TupleTag<QuarantineRecord> quarantinedTag;
    private final TupleTag<Long> arrivalsTag;

    SplitQuarantinedAndArrivalsFn(
        TupleTag<QuarantineRecord> quarantinedTag, TupleTag<Long> arrivalsTag) {
      this.quarantinedTag = quarantinedTag;
      this.arrivalsTag = arrivalsTag;
    }

    @ProcessElement
    public void processElement(@Element RawUnionValue element, MultiOutputReceiver out) {
      if (element.getUnionTag() == QUARANTINED_UNION_TAG) {
        out.get(quarantinedTag).output((QuarantineRecord) element.getValue());
      } else {
        out.get(arrivalsTag).output((Long) element.getValue());
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .addIfNotNull(
            DisplayData.item(
                    "pseudonymKey", pseudonymKey() == null ? null : pseudonymKey().toString())
                .withLabel("Pseudonym key reference"))
        .add(
            DisplayData.item("userKeyStore", UserKeyStores.shown(userKeyStore()))
                .withLabel("Per-user pseudonym secrets"))
        .add(DisplayData.item("maxRecordBytes", maxRecordBytes()).withLabel("Max record bytes"))
        .add(DisplayData.item("maxNestingDepth", maxNestingDepth()).withLabel("Max nesting depth"))
        .add(
            DisplayData.item("maxEventTimeAhead", maxEventTimeAhead())
                .withLabel("Max occurred_at after arrival"))
        .add(
            DisplayData.item("maxEventAge", maxEventAge())
                .withLabel("Max occurred_at before arrival"));
  }

  /** The two outputs of {@link ValidateEvents}: accepted events and quarantined records. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final TupleTag<CollabEvent> eventsTag;
    private final PCollection<CollabEvent> events;
    private final TupleTag<QuarantineRecord> quarantinedTag;
    private final PCollection<QuarantineRecord> quarantined;
    private final @Nullable PCollection<Long> arrivals;

    private Result(
        Pipeline pipeline,
        TupleTag<CollabEvent> eventsTag,
        PCollection<CollabEvent> events,
        TupleTag<QuarantineRecord> quarantinedTag,
        PCollection<QuarantineRecord> quarantined,
        @Nullable PCollection<Long> arrivals) {
      this.pipeline = pipeline;
      this.eventsTag = eventsTag;
      this.events = events;
      this.quarantinedTag = quarantinedTag;
      this.quarantined = quarantined;
      this.arrivals = arrivals;
    }

    /** Valid, minimized events, timestamped with their arrival time. */
    public PCollection<CollabEvent> events() {
      return events;
    }

    /** Every rejected record, as received, with its reason; timestamped with its arrival time. */
    public PCollection<QuarantineRecord> quarantined() {
      return quarantined;
    }

    /**
     * The arrival time (epoch milliseconds) of every record received, accepted or quarantined,
     * timestamped with it; only with {@link ValidateEvents#withArrivals}.
     */
    public PCollection<Long> arrivals() {
      if (arrivals == null) {
        throw new IllegalStateException(
            "ValidateEvents outputs the records' arrivals only when asked: use withArrivals()");
      }
      return arrivals;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new LinkedHashMap<>();
      out.put(eventsTag, events);
      out.put(quarantinedTag, quarantined);
      return out;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** Parses once, validates, minimizes; never throws on input and never logs a record. */
  private static final class ParseValidateMinimizeFn extends DoFn<RawRecord, CollabEvent> {
    private static final long serialVersionUID = 1L;

    private static final Counter RECEIVED_COUNTER = Metrics.counter(METRIC_NAMESPACE, RECEIVED);
    private static final Counter ACCEPTED_COUNTER = Metrics.counter(METRIC_NAMESPACE, ACCEPTED);
    private static final Counter QUARANTINED_COUNTER =
        Metrics.counter(METRIC_NAMESPACE, QUARANTINED);
    private static final Counter UNKNOWN_FIELDS_COUNTER =
        Metrics.counter(METRIC_NAMESPACE, UNKNOWN_FIELDS_DROPPED);
    private static final Map<ReasonCode, Counter> REASON_COUNTERS = reasonCounters();

    private final KeyReference key;
    private final String userKeyStore;
    private final int maxRecordBytes;
    private final int maxNestingDepth;
    private final long maxAheadMillis;
    private final long maxAgeMillis;
    private final TupleTag<CollabEvent> eventsTag;
    private final TupleTag<?> secondTag;
    private final boolean withArrivals;

    private transient EventValidator validator;
    private transient @Nullable UserKeyStore store;

    ParseValidateMinimizeFn(
        KeyReference key,
        String userKeyStore,
        int maxRecordBytes,
        int maxNestingDepth,
        long maxAheadMillis,
        long maxAgeMillis,
        TupleTag<CollabEvent> eventsTag,
        TupleTag<?> secondTag,
        boolean withArrivals) {
      this.key = key;
      this.userKeyStore = userKeyStore;
      this.maxRecordBytes = maxRecordBytes;
      this.maxNestingDepth = maxNestingDepth;
      this.maxAheadMillis = maxAheadMillis;
      this.maxAgeMillis = maxAgeMillis;
      this.eventsTag = eventsTag;
      this.secondTag = secondTag;
      this.withArrivals = withArrivals;
    }

    private static Map<ReasonCode, Counter> reasonCounters() {
      Map<ReasonCode, Counter> m = new EnumMap<>(ReasonCode.class);
      for (ReasonCode r : ReasonCode.values()) {
        m.put(r, Metrics.counter(METRIC_NAMESPACE, quarantinedCounterName(r)));
      }
      return m;
    }

    @Setup
    public void setup() {
      try {
        store = UserKeyStores.openShared(userKeyStore);
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
      byte[] secret = key.resolve();
      Pseudonymizer pseudonymizer = new Pseudonymizer(secret, store);
      Arrays.fill(secret, (byte) 0);
      validator =
          new EventValidator(
              EventSchemaRegistry.loadDefault(),
              pseudonymizer,
              maxRecordBytes,
              maxNestingDepth,
              maxAheadMillis,
              maxAgeMillis);
    }

    @Teardown
    public void teardown() throws IOException {
      if (store != null) {
        store.close();
        store = null;
      }
    }

    @ProcessElement
    public void processElement(@Element RawRecord record, MultiOutputReceiver out) {
      RECEIVED_COUNTER.inc();
      if (withArrivals) {
        second(out).output(new RawUnionValue(ARRIVAL_UNION_TAG, record.receivedAtMillis()));
      }
      EventValidator.Outcome outcome = validator.validate(record);
      if (outcome.event != null) {
        if (outcome.unknownFieldsDropped > 0) {
          UNKNOWN_FIELDS_COUNTER.inc(outcome.unknownFieldsDropped);
        }
        ACCEPTED_COUNTER.inc();
        out.get(eventsTag).output(outcome.event);
      } else {
        QUARANTINED_COUNTER.inc();
        REASON_COUNTERS.get(outcome.quarantined.reason()).inc();
        second(out)
            .output(
                withArrivals
                    ? new RawUnionValue(QUARANTINED_UNION_TAG, outcome.quarantined)
                    : outcome.quarantined);
      }
    }

    /** The second output: quarantined records, or those and the arrivals as union values. */
    @SuppressWarnings("unchecked")
    private OutputReceiver<Object> second(MultiOutputReceiver out) {
      return out.get((TupleTag<Object>) secondTag);
    }
  }
}
