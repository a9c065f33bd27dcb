package io.collabpipeline.collector;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.MinimizedEvents;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import io.collabpipeline.transforms.validate.EventValidator;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The producer library of the ingestion edge, for backend services and for the collector: each
 * event is validated and minimized by the pipeline's own {@link EventValidator} (same schema
 * registry, same privacy classes, same pseudonym key) and only its {@linkplain MinimizedEvents
 * minimized form} is sent to the raw topic; a record the validator refuses goes, as received, to
 * the access-restricted quarantine topic with its reason code in a header. Nothing with PII reaches
 * the raw topic.
 *
 * <p>The producer is idempotent with {@code acks=all}: a {@link Result} completes only when the
 * broker has the record on every in-sync replica. There is no queue of its own: a caller that does
 * not see the result completed must send the event again (the pipeline deduplicates by event id).
 *
 * <pre>{@code
 * try (EdgeProducer edge = EdgeProducer.create("kafka:9092", KeyReference.parse("env:COLLAB_PSEUDONYM_KEY"))) {
 *   EdgeProducer.Result r = edge.send("billing-service", eventJsonBytes).get(10, TimeUnit.SECONDS);
 * }
 * }</pre>
 *
 * With a user key store ({@code create(bootstrap, key, "jdbc:postgresql://…")}, the pipeline's
 * {@code --userKeyStore}) the pseudonyms are per-user, and agree with the pipeline's when both use
 * the same store and key; a store that cannot be read or written fails the send (the caller sends
 * again), it never quarantines the event.
 *
 * <p>Thread-safe: one validator per calling thread, one Kafka producer and one user key store for
 * all.
 */
public final class EdgeProducer implements AutoCloseable {
  /** The raw topic the pipeline reads. */
  public static final String DEFAULT_TOPIC = "collab-events";

  /** Where records the validator refuses go, as received: restricted, short retention. */
  public static final String DEFAULT_QUARANTINE_TOPIC = "collab-events-quarantine";

  /**
   * The quarantine topic's retention: records that may hold PII are kept 2 days. With segments
   * rolled every {@link #QUARANTINE_SEGMENT} a record is deleted at most about 49 hours after it
   * arrived (plus the broker's retention check interval, 5 minutes by default), so every record of
   * a user that arrived before the user's erasure request is gone within the 72 hours an erasure
   * has; the topic cannot be purged record by record.
   */
  public static final Duration QUARANTINE_RETENTION = Duration.ofDays(2);

  /** The quarantine topic's segment roll interval: the granularity of its retention. */
  public static final Duration QUARANTINE_SEGMENT = Duration.ofHours(1);

  /** Quarantine record headers. */
  public static final String HEADER_REASON = "collab-reason";

  public static final String HEADER_DETAIL = "collab-detail";
  public static final String HEADER_ORIGIN = "collab-origin";
  public static final String HEADER_RECEIVED_AT = "collab-received-at";

  /** What became of one event. */
  public static final class Result {
    /**
     * ACCEPTED: the minimized event is in the raw topic; QUARANTINED: the record is in the
     * quarantine topic.
     */
    public enum Status {
      ACCEPTED,
      QUARANTINED
    }

    public final Status status;
    public final String eventId;
    public final String reason;
    public final String detail;

    Result(Status status, String eventId, String reason, String detail) {
      this.status = status;
      this.eventId = eventId;
      this.reason = reason;
      this.detail = detail;
    }
  }

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final String quarantineTopic;
  private final byte[] key;
  private final @Nullable UserKeyStore store;
  private final ThreadLocal<EventValidator> validators;

  /**
   * An edge producer on {@code producer} (tests pass Kafka's MockProducer), with global-key
   * pseudonyms.
   */
  public EdgeProducer(
      Producer<byte[], byte[]> producer,
      String topic,
      String quarantineTopic,
      KeyReference pseudonymKey) {
    this(producer, topic, quarantineTopic, pseudonymKey, UserKeyStores.NONE);
  }

  /**
   * An edge producer whose pseudonyms are per-user secrets in the store at {@code userKeyStore} (a
   * reference as {@link UserKeyStores#open} takes it; {@code none} for global-key pseudonyms),
   * which it opens now and closes with itself.
   *
   * @throws IllegalArgumentException with a one-line message if the store cannot be opened
   */
  public EdgeProducer(
      Producer<byte[], byte[]> producer,
      String topic,
      String quarantineTopic,
      KeyReference pseudonymKey,
      String userKeyStore) {
    this.producer = producer;
    this.topic = topic;
    this.quarantineTopic = quarantineTopic;
    this.key = pseudonymKey.resolve();
    try {
      this.store = UserKeyStores.open(userKeyStore);
    } catch (IOException e) {
      Arrays.fill(key, (byte) 0);
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
    this.validators =
        ThreadLocal.withInitial(
            () ->
                new EventValidator(
                    registry,
                    new Pseudonymizer(key, store),
                    ValidateEvents.DEFAULT_MAX_RECORD_BYTES,
                    ValidateEvents.DEFAULT_MAX_NESTING_DEPTH,
                    ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
                    ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis()));
  }

  /** An edge producer on a new Kafka producer with {@link #producerConfig}, default topics. */
  public static EdgeProducer create(String bootstrapServers, KeyReference pseudonymKey) {
    return create(bootstrapServers, pseudonymKey, UserKeyStores.NONE);
  }

  /**
   * As {@link #create(String, KeyReference)}, with per-user pseudonyms from the store at {@code
   * userKeyStore} (the pipeline's {@code --userKeyStore}).
   */
  public static EdgeProducer create(
      String bootstrapServers, KeyReference pseudonymKey, String userKeyStore) {
    return new EdgeProducer(
        new KafkaProducer<>(producerConfig(bootstrapServers, Duration.ofSeconds(10))),
        DEFAULT_TOPIC,
        DEFAULT_QUARANTINE_TOPIC,
        pseudonymKey,
        userKeyStore);
  }

  /** Whether pseudonyms are per-user secrets of a user key store. */
  public boolean perUser() {
    return store != null;
  }

  /**
   * Durable and idempotent: {@code acks=all}, {@code enable.idempotence=true}; {@code maxBlock}
   * bounds how long a send may wait for metadata or buffer space (a broker that is down).
   */
  public static Map<String, Object> producerConfig(String bootstrapServers, Duration maxBlock) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    c.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    c.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return c;
  }

  /**
   * Creates the quarantine topic if it is missing, with {@code retention.ms} of {@link
   * #QUARANTINE_RETENTION} and {@code segment.ms} of {@link #QUARANTINE_SEGMENT}. Access
   * restriction is the cluster's ACLs (only the collector writes, only the quarantine-replay
   * principal reads), not something a client can set.
   */
  public static void ensureQuarantineTopic(Admin admin, String name, int partitions)
      throws InterruptedException, ExecutionException {
    NewTopic t =
        new NewTopic(name, partitions, (short) 1)
            .configs(
                Map.of(
                    "retention.ms",
                    Long.toString(QUARANTINE_RETENTION.toMillis()),
                    "segment.ms",
                    Long.toString(QUARANTINE_SEGMENT.toMillis()),
                    "cleanup.policy",
                    "delete"));
    try {
      admin.createTopics(List.of(t)).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  /** The pseudonym key's fingerprint this producer writes into every minimized event. */
  public String keyId() {
    return validators.get().keyId();
  }

  /** Validates, minimizes and sends one event; see {@link #sendAll}. */
  public CompletableFuture<Result> send(String origin, byte[] event) {
    return sendAll(origin, List.of(event)).get(0);
  }

  /**
   * Validates, minimizes and sends each record; each future completes when Kafka acknowledged where
   * it went, or fails if Kafka did not take it (send it again).
   */
  public List<CompletableFuture<Result>> sendAll(String origin, List<byte[]> records) {
    EventValidator validator = validators.get();
    long now = System.currentTimeMillis();
    List<CompletableFuture<Result>> results = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      byte[] bytes = records.get(i);
      EventValidator.Outcome o =
          validator.validate(
              RawRecord.of(bytes, SourceRef.of(SourceRef.Kind.COLLECTOR, origin, 0, i), now));
      CollabEvent event = o.event();
      if (event != null) {
        byte[] wire = MinimizedEvents.toJson(event, validator.keyId());
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(topic, event.eventId().getBytes(StandardCharsets.UTF_8), wire);
        results.add(send(r, new Result(Result.Status.ACCEPTED, event.eventId(), null, null)));
      } else {
        QuarantineRecord q = o.quarantined();
        ProducerRecord<byte[], byte[]> r =
            new ProducerRecord<>(
                quarantineTopic,
                q.eventId() == null ? null : q.eventId().getBytes(StandardCharsets.UTF_8),
                bytes);
        r.headers()
            .add(new RecordHeader(HEADER_REASON, utf8(q.reason().name())))
            .add(new RecordHeader(HEADER_DETAIL, utf8(q.detail())))
            .add(new RecordHeader(HEADER_ORIGIN, utf8(origin)))
            .add(new RecordHeader(HEADER_RECEIVED_AT, utf8(Long.toString(now))));
        results.add(
            send(
                r,
                new Result(Result.Status.QUARANTINED, q.eventId(), q.reason().name(), q.detail())));
      }
    }
    return results;
  }

  /**
   * Sends a record that could not even be split into events (a broken JSON array) to quarantine.
   */
  public CompletableFuture<Result> quarantineUnsplittable(
      String origin, byte[] body, String detail) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(quarantineTopic, null, body);
    r.headers()
        .add(new RecordHeader(HEADER_REASON, utf8("NOT_JSON")))
        .add(new RecordHeader(HEADER_DETAIL, utf8(detail)))
        .add(new RecordHeader(HEADER_ORIGIN, utf8(origin)))
        .add(new RecordHeader(HEADER_RECEIVED_AT, utf8(Long.toString(System.currentTimeMillis()))));
    return send(r, new Result(Result.Status.QUARANTINED, null, "NOT_JSON", detail));
  }

  private CompletableFuture<Result> send(ProducerRecord<byte[], byte[]> r, Result result) {
    CompletableFuture<Result> f = new CompletableFuture<>();
    try {
      producer.send(
          r,
          (metadata, error) -> {
            if (error != null) {
              f.completeExceptionally(error);
            } else {
              f.complete(result);
            }
          });
    } catch (RuntimeException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(30));
    Arrays.fill(key, (byte) 0);
    if (store != null) {
      try {
        store.close();
      } catch (IOException e) {
        // closing: nothing is left to write
      }
    }
  }

  /** Waits for all of {@code futures}, at most {@code timeout}; false if any failed or is late. */
  static boolean awaitAll(List<CompletableFuture<Result>> futures, Duration timeout)
      throws InterruptedException {
    try {
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }
}
