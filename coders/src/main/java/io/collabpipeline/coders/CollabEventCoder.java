package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;

/**
 * Deterministic coder for {@link CollabEvent}. Field order is part of the Flink savepoint format:
 * append new fields at the end behind a version byte, never reorder.
 *
 * <p>Two versions on the wire, both decoded: version 1 (before round 18) is its version byte, then
 * the fields of {@link #LAYOUT}; version 2, what {@link #encode} writes, is its version byte, the
 * fields' byte count as a varint, then the same fields. A version 2 decode takes the event in one
 * read; a version 1 decode reads every length and varint byte by byte through the runner's stream.
 * In memory an event keeps the version 1 form ({@link EncodedCollabEvent#encoding}), which the
 * field readers here walk.
 */
public final class CollabEventCoder extends AtomicCoder<CollabEvent> {
  private static final CollabEventCoder INSTANCE = new CollabEventCoder();

  /** The fields after the version byte: the in-memory form, and the wire before round 18. */
  private static final int FIELDS_VERSION = 1;

  /** The fields behind their byte count: the wire since round 18. */
  private static final int FRAMED_VERSION = 2;

  /**
   * The fields of the encoding after its version byte, in order, as {@link #encode} writes them:
   * what a decode copies ({@link EncodedCollabEvent} keeps the bytes) and what {@link
   * #withoutPayload} skips to find the payload.
   */
  private static final Codec.Field[] LAYOUT = {
    Codec.Field.STRING, // event id
    Codec.Field.STRING, // event type
    Codec.Field.VARINT, // schema version
    Codec.Field.VARINT, // occurred at
    Codec.Field.VARINT, // received at
    Codec.Field.STRING, // workspace
    Codec.Field.STRING, // actor
    Codec.Field.STRING, // platform
    Codec.Field.NULLABLE_STRING, // service
    Codec.Field.NULLABLE_STRING, // app version
    Codec.Field.STRING, // resource type
    Codec.Field.STRING, // resource gid
    Codec.Field.NULLABLE_STRING, // task gid
    Codec.Field.NULLABLE_STRING, // trigger event id
    Codec.Field.NULLABLE_STRING, // trigger event type
    Codec.Field.STRING, // payload
    Codec.Field.STRING, // source: kind
    Codec.Field.STRING, // source: name
    Codec.Field.VARINT, // source: partition
    Codec.Field.VARINT, // source: offset
  };

  /** The payload's place in {@link #LAYOUT}. */
  private static final int PAYLOAD = 15;

  public static CollabEventCoder of() {
    return INSTANCE;
  }

  private CollabEventCoder() {}

  @Override
  public void encode(CollabEvent e, OutputStream out) throws IOException {
    if (e instanceof EncodedCollabEvent) {
      // Decoded by this coder: its bytes are the fields, whether or not it was read since.
      byte[] encoding = ((EncodedCollabEvent) e).encoding();
      Codec.writeFramed(out, FRAMED_VERSION, encoding, 1, encoding.length - 1);
      return;
    }
    Codec.Buffer.encodeFramed(out, FRAMED_VERSION, b -> writeFields(e, b));
  }

  private static void writeFields(CollabEvent e, Codec.Buffer b) throws IOException {
    b.writeString(e.eventId());
    b.writeString(e.eventType());
    b.writeInt(e.schemaVersion());
    b.writeLong(e.occurredAtMillis());
    b.writeLong(e.receivedAtMillis());
    b.writeString(e.workspaceGid());
    b.writeString(e.actorId());
    b.writeString(e.platform());
    b.writeNullableString(e.service());
    b.writeNullableString(e.appVersion());
    b.writeString(e.resourceType());
    b.writeString(e.resourceGid());
    b.writeNullableString(e.taskGid());
    b.writeNullableString(e.triggerEventId());
    b.writeNullableString(e.triggerEventType());
    b.writeString(e.payloadJson());
    SourceRefCoder.encodeTo(e.source(), b);
  }

  /**
   * The event, its fields read when it is first looked at ({@link EncodedCollabEvent}): here its
   * bytes are only taken, with the version and every length checked.
   */
  @Override
  public CollabEvent decode(InputStream in) throws IOException {
    int version = in.read();
    if (version == FRAMED_VERSION) {
      long count = Codec.readLong(in);
      if (count < 1 || count > Integer.MAX_VALUE - 16) {
        throw new CoderException("invalid CollabEvent field byte count " + count);
      }
      return new EncodedCollabEvent(
          inMemory((int) count, fields -> Codec.readFully(in, fields, 1, (int) count)));
    }
    if (version == FIELDS_VERSION) {
      return new EncodedCollabEvent(
          Codec.Buffer.copy(
              in,
              (from, b) -> {
                b.writeByte(FIELDS_VERSION);
                for (Codec.Field field : LAYOUT) {
                  b.copy(field, from);
                }
              }));
    }
    if (version < 0) {
      throw new EOFException("truncated CollabEvent encoding: no version byte");
    }
    throw new IOException("unknown CollabEvent encoding version " + version);
  }

  /**
   * The event taken from {@code bytes} at {@code start}, an encoding of either version (what {@link
   * #encode} wrote, back to back with others), into {@code into}; returns where the encoding ends
   * (the index after its last byte). Every field's length is checked against the array.
   */
  static int take(byte[] bytes, int start, EncodingConsumer into) throws IOException {
    if (bytes[start] == FRAMED_VERSION) {
      Codec.Reader r = new Codec.Reader(bytes, start + 1);
      long count;
      try {
        count = r.readLong();
      } catch (ArrayIndexOutOfBoundsException e) {
        throw new CoderException("truncated CollabEvent encoding from byte " + start, e);
      }
      long end = r.position() + count;
      if (count < 1 || end > bytes.length) {
        throw new CoderException("truncated or corrupt CollabEvent encoding from byte " + start);
      }
      int from = r.position();
      into.accept(
          inMemory((int) count, fields -> System.arraycopy(bytes, from, fields, 1, (int) count)));
      return (int) end;
    }
    int end = endOfEncoding(bytes, start);
    into.accept(Arrays.copyOfRange(bytes, start, end));
    return end;
  }

  /**
   * The in-memory form of version 2's {@code count} bytes of fields, which {@code fill} puts from
   * index 1 of the array it is given, after the version 1 byte; the fields must end exactly at the
   * count.
   */
  private static byte[] inMemory(int count, FieldsFill fill) throws IOException {
    byte[] encoding = new byte[count + 1];
    encoding[0] = FIELDS_VERSION;
    fill.into(encoding);
    int end = endOfEncoding(encoding, 0);
    if (end != encoding.length) {
      throw new CoderException(
          "corrupt CollabEvent encoding: its fields end at byte " + end + " of " + encoding.length);
    }
    return encoding;
  }

  /** Puts version 2's field bytes into an array from its index 1. */
  @FunctionalInterface
  private interface FieldsFill {
    void into(byte[] encoding) throws IOException;
  }

  /** Takes the in-memory form ({@link EncodedCollabEvent#encoding}) of one event. */
  @FunctionalInterface
  interface EncodingConsumer {
    void accept(byte[] encoding) throws IOException;
  }

  /**
   * The first fields of one whole encoding ({@link #decode}'s, so its version is known): the ones
   * most steps read, without the strings of the rest.
   */
  static EncodedCollabEvent.Head decodeHead(byte[] encoding) {
    Codec.Reader r = new Codec.Reader(encoding, 1);
    return new EncodedCollabEvent.Head(
        r.readString(),
        r.readString(),
        r.readInt(),
        r.readLong(),
        r.readLong(),
        r.readString(),
        r.position());
  }

  /**
   * One whole encoding ({@link #decode}'s) with its payload empty: the bytes before the payload, an
   * empty string, the bytes after it. The same bytes as encoding {@link
   * CollabEvent#withoutPayload()} of the event, without reading the other fields.
   */
  static byte[] withoutPayload(byte[] encoding) {
    Codec.Reader r = new Codec.Reader(encoding, 1);
    for (int i = 0; i < PAYLOAD; i++) {
      r.skip(LAYOUT[i]);
    }
    int start = r.position();
    r.skip(LAYOUT[PAYLOAD]);
    int end = r.position();
    if (end - start == 1) {
      return encoding; // already empty: its length, 0, is one byte
    }
    byte[] narrow = new byte[encoding.length - (end - start) + 1];
    System.arraycopy(encoding, 0, narrow, 0, start);
    narrow[start] = 0;
    System.arraycopy(encoding, end, narrow, start + 1, encoding.length - end);
    return narrow;
  }

  /**
   * Where the version 1 encoding (the in-memory form) that starts at {@code start} of {@code bytes}
   * ends (the index after its last byte), its version and every field's length checked against the
   * array.
   */
  static int endOfEncoding(byte[] bytes, int start) throws CoderException {
    if (bytes[start] != FIELDS_VERSION) {
      throw new CoderException("unknown CollabEvent encoding version " + bytes[start]);
    }
    Codec.Reader r = new Codec.Reader(bytes, start + 1);
    try {
      for (Codec.Field field : LAYOUT) {
        int before = r.position();
        r.skip(field);
        if (r.position() <= before || r.position() > bytes.length) {
          throw new CoderException("truncated or corrupt CollabEvent encoding at byte " + before);
        }
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new CoderException("truncated CollabEvent encoding from byte " + start, e);
    }
    return r.position();
  }

  /**
   * The event's fields, from one whole encoding ({@link #decode}'s) and its {@link #decodeHead}:
   * the first fields are the head's, the rest are read from where the head ends.
   */
  static CollabEvent decodeFields(byte[] encoding, EncodedCollabEvent.Head head) {
    Codec.Reader r = new Codec.Reader(encoding, head.end);
    return CollabEvent.builder()
        .setEventId(head.eventId)
        .setEventType(head.eventType)
        .setSchemaVersion(head.schemaVersion)
        .setOccurredAtMillis(head.occurredAtMillis)
        .setReceivedAtMillis(head.receivedAtMillis)
        .setWorkspaceGid(head.workspaceGid)
        .setActorId(r.readString())
        .setPlatform(r.readString())
        .setService(r.readNullableString())
        .setAppVersion(r.readNullableString())
        .setResourceType(r.readString())
        .setResourceGid(r.readString())
        .setTaskGid(r.readNullableString())
        .setTriggerEventId(r.readNullableString())
        .setTriggerEventType(r.readNullableString())
        .setPayloadJson(r.readString())
        .setSource(
            SourceRef.of(
                SourceRef.Kind.fromCode(r.readString()), r.readString(), r.readInt(), r.readLong()))
        .build();
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
