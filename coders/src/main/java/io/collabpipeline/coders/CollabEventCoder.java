package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
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

  @Override
  public CollabEvent decode(InputStream in) throws IOException {
    int version = in.read();
    if (version != FORMAT_VERSION) {
      throw new IOException("unknown CollabEvent encoding version " + version);
    }
    return CollabEvent.builder()
        .setEventId(Codec.readString(in))
        .setEventType(Codec.readString(in))
        .setSchemaVersion(Codec.readInt(in))
        .setOccurredAtMillis(Codec.readLong(in))
        .setReceivedAtMillis(Codec.readLong(in))
        .setWorkspaceGid(Codec.readString(in))
        .setActorId(Codec.readString(in))
        .setPlatform(Codec.readString(in))
        .setService(Codec.readNullableString(in))
        .setAppVersion(Codec.readNullableString(in))
        .setResourceType(Codec.readString(in))
        .setResourceGid(Codec.readString(in))
        .setTaskGid(Codec.readNullableString(in))
        .setTriggerEventId(Codec.readNullableString(in))
        .setTriggerEventType(Codec.readNullableString(in))
        .setPayloadJson(Codec.readString(in))
        .setSource(SourceRefCoder.of().decode(in))
        .build();
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
