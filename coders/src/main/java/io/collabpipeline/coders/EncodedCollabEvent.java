package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A {@link CollabEvent} as {@link CollabEventCoder} decoded it: its encoding, whose fields are read
 * when the event is first looked at, and written again as they are.
 *
 * <p>Beam's Flink batch translation encodes an element once for each task that consumes it and
 * decodes it in each: the consumers of a step with several, each output of a step with two (whose
 * tasks each decode every element of both, then drop the other output's) and each sort. An event
 * crosses about 18 such places between validation and the sinks, and in most of them nothing reads
 * it: it is dropped (the other output's task), handed on unchanged, or only counted. Decoding every
 * string of it there, and encoding them again, was about a fifth of the batch graph's CPU samples.
 * Holding the bytes makes those crossings a copy; a step that reads any field decodes the event
 * once, as before.
 *
 * <p>The first fields ({@link Head}) are read on their own, the rest all at once when one of them
 * is first read, after the head and with its values (each field's string is made once). Equal to,
 * and with the hash code of, the event its fields make, whatever the class of the other event.
 * Immutable: what it reads is built from final bytes into objects with final fields, so two threads
 * reading it at once build equal ones, safe to publish without a lock.
 */
final class EncodedCollabEvent extends CollabEvent {
  private final byte[] encoding;
  private @Nullable Head head;
  private @Nullable CollabEvent decoded;

  /**
   * The fields that most steps read, and all that they read: the dedup's key and choice of copy,
   * the raw store's partition, the completeness counts, the canaries' test. Read without the
   * strings of the rest.
   */
  static final class Head {
    final String eventId;
    final String eventType;
    final int schemaVersion;
    final long occurredAtMillis;
    final long receivedAtMillis;
    final String workspaceGid;

    /** Where the fields after the head begin in the encoding. */
    final int end;

    Head(
        String eventId,
        String eventType,
        int schemaVersion,
        long occurredAtMillis,
        long receivedAtMillis,
        String workspaceGid,
        int end) {
      this.eventId = eventId;
      this.eventType = eventType;
      this.schemaVersion = schemaVersion;
      this.occurredAtMillis = occurredAtMillis;
      this.receivedAtMillis = receivedAtMillis;
      this.workspaceGid = workspaceGid;
      this.end = end;
    }
  }

  /**
   * {@code encoding} is a whole version 1 encoding of {@link CollabEventCoder} (its fields after
   * their version byte), what the coder's decode gives whichever version it read.
   */
  EncodedCollabEvent(byte[] encoding) {
    this.encoding = encoding;
  }

  /** The coder's bytes of this event; not to be changed. */
  byte[] encoding() {
    return encoding;
  }

  private Head head() {
    Head h = head;
    if (h == null) {
      h = CollabEventCoder.decodeHead(encoding);
      head = h;
    }
    return h;
  }

  private CollabEvent event() {
    CollabEvent e = decoded;
    if (e == null) {
      e = CollabEventCoder.decodeFields(encoding, head());
      decoded = e;
    }
    return e;
  }

  @Override
  public String eventId() {
    return head().eventId;
  }

  @Override
  public String eventType() {
    return head().eventType;
  }

  @Override
  public int schemaVersion() {
    return head().schemaVersion;
  }

  @Override
  public long occurredAtMillis() {
    return head().occurredAtMillis;
  }

  @Override
  public long receivedAtMillis() {
    return head().receivedAtMillis;
  }

  @Override
  public String workspaceGid() {
    return head().workspaceGid;
  }

  @Override
  public String actorId() {
    return event().actorId();
  }

  @Override
  public String platform() {
    return event().platform();
  }

  @Override
  public @Nullable String service() {
    return event().service();
  }

  @Override
  public @Nullable String appVersion() {
    return event().appVersion();
  }

  @Override
  public String resourceType() {
    return event().resourceType();
  }

  @Override
  public String resourceGid() {
    return event().resourceGid();
  }

  @Override
  public @Nullable String taskGid() {
    return event().taskGid();
  }

  @Override
  public @Nullable String triggerEventId() {
    return event().triggerEventId();
  }

  @Override
  public @Nullable String triggerEventType() {
    return event().triggerEventType();
  }

  @Override
  public String payloadJson() {
    return event().payloadJson();
  }

  @Override
  public SourceRef source() {
    return event().source();
  }

  /** The same event without its payload, made from the bytes: its other fields are not read. */
  @Override
  public CollabEvent withoutPayload() {
    byte[] narrow = CollabEventCoder.withoutPayload(encoding);
    return narrow == encoding ? this : new EncodedCollabEvent(narrow);
  }

  @Override
  public Builder toBuilder() {
    return event().toBuilder();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o == this || event().equals(o);
  }

  @Override
  public int hashCode() {
    return event().hashCode();
  }

  @Override
  public String toString() {
    return event().toString();
  }
}
