package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Deterministic coder for {@link CollabEvent}. Field order is part of the Flink savepoint format:
 * append new fields at the end behind a version byte, never reorder.
 */
public final class CollabEventCoder extends AtomicCoder<CollabEvent> {
  private static final CollabEventCoder INSTANCE = new CollabEventCoder();

  /**
   * Bumped when the encoding changes; decode refuses versions it does not know rather than misread
   * them.
   */
  private static final int FORMAT_VERSION = 1;

  public static CollabEventCoder of() {
    return INSTANCE;
  }

  private CollabEventCoder() {}

  @Override
  public void encode(CollabEvent e, OutputStream out) throws IOException {
    if (e instanceof EncodedCollabEvent) {
      // Decoded by this coder: its bytes are the encoding, whether or not it was read since.
      out.write(((EncodedCollabEvent) e).encoding());
      return;
    }
    Codec.Buffer.encode(
        out,
        b -> {
          b.writeByte(FORMAT_VERSION);
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
        });
  }

  /**
   * The event, its fields read when it is first looked at ({@link EncodedCollabEvent}): here its
   * bytes are only copied, with the version and every length checked.
   */
  @Override
  public CollabEvent decode(InputStream in) throws IOException {
    return new EncodedCollabEvent(
        Codec.Buffer.copy(
            in,
            (from, b) -> {
              int version = b.copyByte(from);
              if (version != FORMAT_VERSION) {
                throw new IOException("unknown CollabEvent encoding version " + version);
              }
              b.copyString(from); // event id
              b.copyString(from); // event type
              b.copyVarLong(from); // schema version
              b.copyVarLong(from); // occurred at
              b.copyVarLong(from); // received at
              b.copyString(from); // workspace
              b.copyString(from); // actor
              b.copyString(from); // platform
              b.copyNullableString(from); // service
              b.copyNullableString(from); // app version
              b.copyString(from); // resource type
              b.copyString(from); // resource gid
              b.copyNullableString(from); // task gid
              b.copyNullableString(from); // trigger event id
              b.copyNullableString(from); // trigger event type
              b.copyString(from); // payload
              SourceRefCoder.copyInto(from, b);
            }));
  }

  /**
   * The first fields of one whole encoding ({@link #decode}'s, so its version is known): the ones
   * most steps read, without the strings of the rest.
   */
  static EncodedCollabEvent.Head decodeHead(byte[] encoding) {
    Codec.Reader r = new Codec.Reader(encoding, 1);
    return new EncodedCollabEvent.Head(
        r.readString(), r.readString(), r.readInt(), r.readLong(), r.readLong(), r.readString());
  }

  /**
   * One whole encoding ({@link #decode}'s) with its payload empty: the bytes before the payload, an
   * empty string, the bytes after it. The same bytes as encoding {@link
   * CollabEvent#withoutPayload()} of the event, without reading the other fields.
   */
  static byte[] withoutPayload(byte[] encoding) {
    Codec.Reader r = new Codec.Reader(encoding, 1);
    r.skipString(); // event id
    r.skipString(); // event type
    r.readLong(); // schema version
    r.readLong(); // occurred at
    r.readLong(); // received at
    r.skipString(); // workspace
    r.skipString(); // actor
    r.skipString(); // platform
    r.skipNullableString(); // service
    r.skipNullableString(); // app version
    r.skipString(); // resource type
    r.skipString(); // resource gid
    r.skipNullableString(); // task gid
    r.skipNullableString(); // trigger event id
    r.skipNullableString(); // trigger event type
    int start = r.position();
    r.skipString(); // payload
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

  /** The event's fields, read from one whole encoding ({@link #decode}'s). */
  static CollabEvent decodeFields(byte[] encoding) {
    Codec.Reader r = new Codec.Reader(encoding, 1);
    return CollabEvent.builder()
        .setEventId(r.readString())
        .setEventType(r.readString())
        .setSchemaVersion(r.readInt())
        .setOccurredAtMillis(r.readLong())
        .setReceivedAtMillis(r.readLong())
        .setWorkspaceGid(r.readString())
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
