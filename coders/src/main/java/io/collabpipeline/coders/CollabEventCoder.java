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
    out.write(FORMAT_VERSION);
    Codec.writeString(e.eventId(), out);
    Codec.writeString(e.eventType(), out);
    Codec.writeInt(e.schemaVersion(), out);
    Codec.writeLong(e.occurredAtMillis(), out);
    Codec.writeLong(e.receivedAtMillis(), out);
    Codec.writeString(e.workspaceGid(), out);
    Codec.writeString(e.actorId(), out);
    Codec.writeString(e.platform(), out);
    Codec.writeNullableString(e.service(), out);
    Codec.writeNullableString(e.appVersion(), out);
    Codec.writeString(e.resourceType(), out);
    Codec.writeString(e.resourceGid(), out);
    Codec.writeNullableString(e.taskGid(), out);
    Codec.writeNullableString(e.triggerEventId(), out);
    Codec.writeNullableString(e.triggerEventType(), out);
    Codec.writeString(e.payloadJson(), out);
    SourceRefCoder.of().encode(e.source(), out);
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
