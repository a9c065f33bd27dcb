package io.collabpipeline.tools.publish;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.GeneratorConfig;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.options.GeneratorOptions;
import io.collabpipeline.pipelines.options.KafkaOptions;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Publishes the generator's deliveries to a Kafka topic at a wall-clock rate, so the Kafka source
 * can be fed the same synthetic workload (duplicates, late, too-late and malformed records) as the
 * embedded generator.
 *
 * <p><b>The timeline, mapped to the wall clock.</b> The broker stamps each record with its own
 * clock (LogAppendTime), so the workload is regenerated on the wall clock instead of its fixed
 * start: the published workload is {@link #onWallClock(WorkloadSpec, Instant, double)
 * spec.withStart(publish start).withSyntheticRate(rate)}, and delivery {@code i} is sent when the
 * wall clock reaches its synthetic arrival, {@code start + i / rate}. Each event's {@code
 * occurred_at} is its synthetic arrival minus its designed delay, so an on-time event occurred 0–5
 * s before it is appended (plus the producer's few milliseconds), a late one minutes before, a
 * too-late one hours before. With {@code rate = 0} (as fast as possible) the spec's own synthetic
 * rate is kept from the same start and nothing waits: records are then appended before their
 * synthetic arrival, so lateness relative to append time is smaller than designed (and events may
 * appear to occur in the future). The report returns the published spec: {@code new
 * WorkloadGenerator(report.publishedSpec())} regenerates exactly the bytes that were sent.
 *
 * <p><b>Records.</b> Value = the delivery's bytes exactly, malformed ones included; key = the event
 * id's UTF-8 bytes where the delivery carries one (so a retry lands in its original's partition),
 * else none. The producer is idempotent ({@code acks=all}, {@code enable.idempotence=true}): a
 * producer retry never appends a record twice, so the only duplicates in the topic are the
 * workload's own. {@code max.request.size} is raised to {@value #MAX_REQUEST_BYTES} bytes so the
 * generator's over-1-MiB records can be sent (the topic's {@code max.message.bytes} must allow them
 * too).
 *
 * <p>Nothing here logs a payload.
 */
public final class KafkaPublisher {

  /**
   * The generator's on-time events occurred at most this long before they arrived; more is late.
   */
  public static final long ON_TIME_MAX_DELAY_MILLIS = 5_000L;

  /** The producer's request limit: above the generator's largest (too-large) record. */
  public static final int MAX_REQUEST_BYTES = 4 << 20;

  private static final String NAME = "kafka-publisher";

  /** How a published delivery counts in the report. */
  public enum Category {
    /** A valid event, delivered for the first time, occurred at most 5 s before its arrival. */
    PLAIN,
    /** A retry of an earlier valid event (same bytes). */
    DUPLICATE,
    /**
     * A valid first delivery that occurred more than 5 s, and less than the spec's too-late delay,
     * before arriving.
     */
    LATE,
    /** A valid first delivery that occurred at least the spec's too-late delay before arriving. */
    TOO_LATE,
    /** A record validation must quarantine. */
    MALFORMED;

    /** The category of a delivery of a workload with this spec. */
    public static Category of(Delivery delivery, WorkloadSpec spec) {
      switch (delivery.kind()) {
        case DUPLICATE:
          return DUPLICATE;
        case MALFORMED:
          return MALFORMED;
        default:
          long delay = delivery.arrivalMillis() - delivery.occurredAtMillis();
          if (delay >= spec.tooLateDelay().toMillis()) {
            return TOO_LATE;
          }
          return delay > ON_TIME_MAX_DELAY_MILLIS ? LATE : PLAIN;
      }
    }
  }

  /**
   * Told of every record the broker acknowledged; called on the producer's I/O thread, so it must
   * be quick.
   */
  @FunctionalInterface
  public interface Listener {
    void acknowledged(Delivery delivery, RecordMetadata metadata);
  }

  private final String bootstrapServers;
  private final String topic;
  private final double rate;
  private final Map<String, String> producerProperties;
  private final @Nullable Listener listener;
  private final @Nullable PrintStream progress;
  private final Duration progressEvery;

  private KafkaPublisher(
      String bootstrapServers,
      String topic,
      double rate,
      Map<String, String> producerProperties,
      @Nullable Listener listener,
      @Nullable PrintStream progress,
      Duration progressEvery) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.rate = rate;
    this.producerProperties = producerProperties;
    this.listener = listener;
    this.progress = progress;
    this.progressEvery = progressEvery;
  }

  /**
   * A publisher to {@code topic} on these brokers, as fast as possible, without progress output.
   */
  public static KafkaPublisher to(String bootstrapServers, String topic) {
    if (bootstrapServers == null || bootstrapServers.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "KafkaPublisher.to(bootstrapServers, topic) needs bootstrap servers");
    }
    if (topic == null || topic.trim().isEmpty()) {
      throw new IllegalArgumentException(
          "KafkaPublisher.to(bootstrapServers, topic) needs a topic");
    }
    return new KafkaPublisher(
        bootstrapServers.trim(),
        topic.trim(),
        0,
        Collections.emptyMap(),
        null,
        null,
        Duration.ofSeconds(5));
  }

  /**
   * Publishes {@code spec}'s deliveries at {@code recordsPerSecond} (0: as fast as possible); see
   * the class doc.
   */
  public static PublishReport publish(
      WorkloadSpec spec, String bootstrapServers, String topic, double recordsPerSecond) {
    return to(bootstrapServers, topic).withRate(recordsPerSecond).publish(spec);
  }

  /** Records per second on the wall clock; 0 publishes as fast as the broker acknowledges. */
  public KafkaPublisher withRate(double recordsPerSecond) {
    if (!(recordsPerSecond >= 0) || Double.isInfinite(recordsPerSecond)) {
      throw new IllegalArgumentException(
          "withRate(r) needs a finite r >= 0 (0 = as fast as possible), got " + recordsPerSecond);
    }
    return new KafkaPublisher(
        bootstrapServers,
        topic,
        recordsPerSecond,
        producerProperties,
        listener,
        progress,
        progressEvery);
  }

  /**
   * Extra producer properties (security settings, batching); acks and idempotence cannot be
   * weakened.
   */
  public KafkaPublisher withProducerProperties(Map<String, String> properties) {
    for (String key : properties.keySet()) {
      if (key.equals(ProducerConfig.ACKS_CONFIG)
          || key.equals(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)) {
        throw new IllegalArgumentException(
            "withProducerProperties(...) must not set "
                + key
                + ": the publisher is always idempotent with acks=all");
      }
    }
    return new KafkaPublisher(
        bootstrapServers,
        topic,
        rate,
        Collections.unmodifiableMap(new LinkedHashMap<>(properties)),
        listener,
        progress,
        progressEvery);
  }

  /**
   * Calls {@code listener} for every acknowledged record (its partition, offset and append time).
   */
  public KafkaPublisher withListener(Listener listener) {
    return new KafkaPublisher(
        bootstrapServers, topic, rate, producerProperties, listener, progress, progressEvery);
  }

  /** Prints a progress line to {@code out} every {@code every}. */
  public KafkaPublisher withProgress(PrintStream out, Duration every) {
    if (every == null || every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("withProgress(out, every) needs every > 0, got " + every);
    }
    return new KafkaPublisher(
        bootstrapServers, topic, rate, producerProperties, listener, out, every);
  }

  /**
   * The workload of the streaming end-to-end runs ({@code StreamingEndToEndTest}, {@code
   * bin/collab-benchmark --modes=freshness}): the generator's defaults with 3% duplicates, 5% late,
   * 1% too-late and 1% malformed deliveries, seeded by the count, so runs of one size publish the
   * same records.
   */
  public static WorkloadSpec endToEndWorkload(long deliveries) {
    return WorkloadSpec.defaults()
        .withDeliveries(deliveries)
        .withSeed(7_000 + deliveries)
        .withDuplicateShare(0.03)
        .withLateShare(0.05)
        .withTooLateShare(0.01)
        .withMalformedShare(0.01);
  }

  /**
   * The workload as published from {@code start} at {@code recordsPerSecond}: the same seed and
   * shares, its arrival clock starting at {@code start} and ticking at {@code recordsPerSecond} (or
   * the spec's own rate when 0).
   */
  public static WorkloadSpec onWallClock(
      WorkloadSpec spec, Instant start, double recordsPerSecond) {
    WorkloadSpec shifted = spec.withStart(start);
    return recordsPerSecond > 0 ? shifted.withSyntheticRate(recordsPerSecond) : shifted;
  }

  /** The producer configuration used (without the serializers). */
  public Map<String, Object> producerConfig() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, NAME);
    // An unreachable broker fails the first send in 15 s rather than Kafka's default minute.
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    config.putAll(producerProperties);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return config;
  }

  /**
   * Publishes every delivery of {@code spec} (on the wall clock, see the class doc), waits until
   * all are acknowledged and reports what was published.
   *
   * @throws IllegalStateException if any record was not acknowledged (the message says how many and
   *     the first error); publishing stops at the first failure
   */
  public PublishReport publish(WorkloadSpec spec) {
    spec.validate();
    long startMillis = System.currentTimeMillis();
    WorkloadSpec published = onWallClock(spec, Instant.ofEpochMilli(startMillis), rate);
    WorkloadGenerator generator = new WorkloadGenerator(published);
    long total = published.deliveries();

    AtomicLongArray counts = new AtomicLongArray(Category.values().length);
    AtomicLong acknowledged = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong firstAppend = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastAppend = new AtomicLong(Long.MIN_VALUE);
    AtomicReference<Exception> firstError = new AtomicReference<>();

    Map<String, Object> config = producerConfig();
    long nextProgress = System.nanoTime() + progressEvery.toNanos();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < total && failed.get() == 0; i++) {
        Delivery delivery = generator.delivery(i);
        if (rate > 0) {
          waitUntil(delivery.arrivalMillis());
        }
        Category category = Category.of(delivery, published);
        byte[] key =
            delivery.eventId() == null ? null : delivery.eventId().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, delivery.bytes());
        try {
          producer.send(
              record,
              (metadata, error) -> {
                if (error != null) {
                  failed.incrementAndGet();
                  firstError.compareAndSet(null, error);
                  return;
                }
                counts.incrementAndGet(category.ordinal());
                acknowledged.incrementAndGet();
                if (metadata.hasTimestamp()) {
                  firstAppend.accumulateAndGet(metadata.timestamp(), Math::min);
                  lastAppend.accumulateAndGet(metadata.timestamp(), Math::max);
                }
                if (listener != null) {
                  listener.acknowledged(delivery, metadata);
                }
              });
        } catch (RuntimeException e) {
          // send() throws for records it refuses before sending (e.g. over max.request.size).
          failed.incrementAndGet();
          firstError.compareAndSet(null, e);
        }
        if (progress != null && System.nanoTime() >= nextProgress) {
          printProgress(progress, i + 1, total, acknowledged.get(), startMillis);
          nextProgress = System.nanoTime() + progressEvery.toNanos();
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted after " + acknowledged.get() + " of " + total + " records", e);
    }
    long endMillis = System.currentTimeMillis();
    if (failed.get() > 0) {
      Exception e = firstError.get();
      throw new IllegalStateException(
          failed.get()
              + " record(s) of "
              + total
              + " failed, publishing to "
              + topic
              + " stopped after "
              + acknowledged.get()
              + " acknowledged: "
              + (e == null
                  ? "unknown error"
                  : e.getClass().getSimpleName() + ": " + e.getMessage()),
          e);
    }
    Map<Category, Long> byCategory = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      byCategory.put(c, counts.get(c.ordinal()));
    }
    return new PublishReport(
        topic,
        published,
        byCategory,
        startMillis,
        endMillis,
        firstAppend.get() == Long.MAX_VALUE ? -1 : firstAppend.get(),
        lastAppend.get() == Long.MIN_VALUE ? -1 : lastAppend.get());
  }

  private static void waitUntil(long wallMillis) throws InterruptedException {
    long wait = wallMillis - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  private static void printProgress(
      PrintStream out, long sent, long total, long acked, long startMillis) {
    double seconds = Math.max(1, System.currentTimeMillis() - startMillis) / 1000.0;
    out.printf(
        Locale.ROOT,
        "%s: sent %d of %d records, %d acknowledged, %.0f records/s%n",
        NAME,
        sent,
        total,
        acked,
        acked / seconds);
    out.flush();
  }

  /** What one {@link #publish} call published: all records were acknowledged by the broker. */
  public static final class PublishReport {
    private final String topic;
    private final WorkloadSpec publishedSpec;
    private final Map<Category, Long> counts;
    private final long startMillis;
    private final long endMillis;
    private final long firstAppendMillis;
    private final long lastAppendMillis;

    PublishReport(
        String topic,
        WorkloadSpec publishedSpec,
        Map<Category, Long> counts,
        long startMillis,
        long endMillis,
        long firstAppendMillis,
        long lastAppendMillis) {
      this.topic = topic;
      this.publishedSpec = publishedSpec;
      this.counts = Collections.unmodifiableMap(new EnumMap<>(counts));
      this.startMillis = startMillis;
      this.endMillis = endMillis;
      this.firstAppendMillis = firstAppendMillis;
      this.lastAppendMillis = lastAppendMillis;
    }

    public String topic() {
      return topic;
    }

    /**
     * The spec actually published: {@code new WorkloadGenerator(publishedSpec())} regenerates the
     * sent bytes.
     */
    public WorkloadSpec publishedSpec() {
      return publishedSpec;
    }

    /** Acknowledged records of each category (every category present, possibly 0). */
    public Map<Category, Long> counts() {
      return counts;
    }

    public long count(Category category) {
      return counts.get(category);
    }

    /** All acknowledged records. */
    public long total() {
      long sum = 0;
      for (long c : counts.values()) {
        sum += c;
      }
      return sum;
    }

    /**
     * Wall-clock time the publisher started (the start of the published arrival clock), epoch
     * millis.
     */
    public long startMillis() {
      return startMillis;
    }

    /** Wall-clock time the last record was acknowledged, epoch millis. */
    public long endMillis() {
      return endMillis;
    }

    /**
     * The earliest broker timestamp (log-append time on LogAppendTime topics) acknowledged; -1 if
     * none.
     */
    public long firstAppendMillis() {
      return firstAppendMillis;
    }

    /** The latest broker timestamp acknowledged; -1 if none. */
    public long lastAppendMillis() {
      return lastAppendMillis;
    }

    /** Achieved rate: acknowledged records per wall-clock second. */
    public double recordsPerSecond() {
      return total() * 1000.0 / Math.max(1, endMillis - startMillis);
    }

    /** One line: totals by category and the achieved rate. */
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "published %d records to %s in %.1f s (%.0f records/s): plain=%d duplicate=%d late=%d too-late=%d "
              + "malformed=%d",
          total(),
          topic,
          (endMillis - startMillis) / 1000.0,
          recordsPerSecond(),
          count(Category.PLAIN),
          count(Category.DUPLICATE),
          count(Category.LATE),
          count(Category.TOO_LATE),
          count(Category.MALFORMED));
    }
  }

  /**
   * Command-line options of {@link #main}: the generator's workload options and the Kafka target.
   */
  public interface Options extends GeneratorOptions, KafkaOptions {}

  /**
   * Publishes a generated workload: {@code --kafkaBootstrapServers}, {@code --kafkaTopics} (one
   * topic), {@code --rate} (records/s, 0 = as fast as possible), and the generator's {@code
   * --events}, {@code --seed} and shares.
   */
  public static void main(String[] args) {
    System.exit(runCli(args, System.out, System.err));
  }

  /**
   * Runs the command line; returns the exit code: 0 published, 1 failed, 2 bad options (one line on
   * {@code err}).
   */
  public static int runCli(String[] args, PrintStream out, PrintStream err) {
    KafkaPublisher publisher;
    WorkloadSpec spec;
    try {
      Options o = CommandLine.parse(args, Options.class);
      String servers = KafkaSourceConfig.bootstrapServers(o.getKafkaBootstrapServers());
      List<String> topics = KafkaSourceConfig.topics(o.getKafkaTopics());
      if (topics.size() != 1) {
        throw new IllegalArgumentException(
            "--kafkaTopics=" + o.getKafkaTopics() + ": the publisher writes to exactly one topic");
      }
      spec = GeneratorConfig.workloadFrom(o);
      publisher =
          to(servers, topics.get(0)).withRate(o.getRate()).withProgress(out, Duration.ofSeconds(5));
    } catch (IllegalArgumentException | UsageException e) {
      err.println(NAME + ": " + firstLine(e.getMessage()));
      return 2;
    }
    try {
      out.println(
          NAME
              + ": publishing "
              + spec.deliveries()
              + " records to "
              + publisher.topic
              + " on "
              + publisher.bootstrapServers
              + (publisher.rate > 0 ? " at " + publisher.rate + " records/s" : ""));
      PublishReport report = publisher.publish(spec);
      out.println(NAME + ": " + report);
      return 0;
    } catch (RuntimeException e) {
      err.println(NAME + ": " + firstLine(e.getMessage()));
      return 1;
    }
  }

  private static String firstLine(@Nullable String message) {
    if (message == null || message.isEmpty()) {
      return "failed (no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
