package io.collabpipeline.model;

import com.google.auto.value.AutoValue;

/**
 * Where a record came from: enough to find the original again (a Kafka topic, partition and offset;
 * a file and line; a generator shard and sequence number). Carried unchanged from the source to the
 * quarantine and the raw store.
 */
@AutoValue
public abstract class SourceRef {

  /**
   * What kind of source produced the record. Codes are stable: they are written to the quarantine
   * and raw store.
   */
  public enum Kind {
    GENERATOR("generator"),
    FILE("file"),
    KAFKA("kafka"),
    RAW("raw"),
    QUARANTINE("quarantine"),
    /** A record as the ingestion edge (the collector) received it, before it reached Kafka. */
    COLLECTOR("collector");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    /**
     * {@code values()} once: it copies the array on every call, and every decode of a source asks.
     */
    private static final Kind[] KINDS = values();

    public static Kind fromCode(String code) {
      for (Kind k : KINDS) {
        if (k.code.equals(code)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown source kind '" + code + "'");
    }
  }

  public abstract Kind kind();

  /** Topic, file path, or generator name. */
  public abstract String name();

  /** Kafka partition or generator shard; -1 where the source has none (files). */
  public abstract int partition();

  /** Kafka offset, 1-based line number in a file, or generator sequence number. */
  public abstract long offset();

  public static SourceRef of(Kind kind, String name, int partition, long offset) {
    return new AutoValue_SourceRef(kind, name, partition, offset);
  }

  public static SourceRef file(String path, long lineNumber) {
    return of(Kind.FILE, path, -1, lineNumber);
  }

  public static SourceRef generator(String name, int shard, long sequence) {
    return of(Kind.GENERATOR, name, shard, sequence);
  }

  public static SourceRef kafka(String topic, int partition, long offset) {
    return of(Kind.KAFKA, topic, partition, offset);
  }

  /**
   * A compact, human-readable form such as {@code kafka:events/3@1042} or {@code
   * file:/in/a.json#17}.
   */
  public String describe() {
    switch (kind()) {
      case FILE:
        return "file:" + name() + "#" + offset();
      default:
        return kind().code() + ":" + name() + "/" + partition() + "@" + offset();
    }
  }
}
