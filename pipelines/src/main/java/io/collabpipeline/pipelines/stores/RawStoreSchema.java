package io.collabpipeline.pipelines.stores;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The columns of the raw store ({@link RawStoreIO}), as an Avro schema for Parquet, and the mapping
 * between {@link CollabEvent} and a record of it, both ways and lossless. Timestamps are {@code
 * timestamp-millis} (UTC instants); the columns are those of the raw store's contract: the event,
 * where its accepted copy came from ({@code source_*}) and its minimized payload as canonical JSON.
 * Public for readers outside a replay (tests, tools reading the files with {@code ParquetIO});
 * pipelines read and write the raw store through {@link RawStoreIO}.
 */
public final class RawStoreSchema {
  private RawStoreSchema() {}

  /**
   * The schema. Changing it is a format change for every reader of the raw store (DuckDB, Athena,
   * replay).
   */
  public static final Schema SCHEMA = buildSchema();

  private static Schema buildSchema() {
    Schema millis = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
    return SchemaBuilder.record("CollabEventRaw")
        .namespace("io.collabpipeline.raw")
        .doc("One accepted, PII-minimized collaboration event")
        .fields()
        .requiredString("event_id")
        .requiredString("event_type")
        .requiredInt("schema_version")
        .name("occurred_at")
        .type(millis)
        .noDefault()
        .name("received_at")
        .type(millis)
        .noDefault()
        .requiredString("workspace_gid")
        .requiredString("actor_id")
        .requiredString("platform")
        .optionalString("service")
        .optionalString("app_version")
        .requiredString("resource_type")
        .requiredString("resource_gid")
        .optionalString("task_gid")
        .optionalString("trigger_event_id")
        .optionalString("trigger_event_type")
        .requiredString("payload_json")
        .requiredString("source_kind")
        .requiredString("source_name")
        .requiredInt("source_partition")
        .requiredLong("source_offset")
        .endRecord();
  }

  /** The raw store record of an event. */
  public static GenericRecord toRecord(CollabEvent e) {
    GenericData.Record r = new GenericData.Record(SCHEMA);
    r.put("event_id", e.eventId());
    r.put("event_type", e.eventType());
    r.put("schema_version", e.schemaVersion());
    r.put("occurred_at", e.occurredAtMillis());
    r.put("received_at", e.receivedAtMillis());
    r.put("workspace_gid", e.workspaceGid());
    r.put("actor_id", e.actorId());
    r.put("platform", e.platform());
    r.put("service", e.service());
    r.put("app_version", e.appVersion());
    r.put("resource_type", e.resourceType());
    r.put("resource_gid", e.resourceGid());
    r.put("task_gid", e.taskGid());
    r.put("trigger_event_id", e.triggerEventId());
    r.put("trigger_event_type", e.triggerEventType());
    r.put("payload_json", e.payloadJson());
    r.put("source_kind", e.source().kind().code());
    r.put("source_name", e.source().name());
    r.put("source_partition", e.source().partition());
    r.put("source_offset", e.source().offset());
    return r;
  }

  /**
   * The event of a raw store record, the inverse of {@link #toRecord} (for replays of the raw
   * store).
   */
  public static CollabEvent fromRecord(GenericRecord r) {
    return CollabEvent.builder()
        .setEventId(str(r, "event_id"))
        .setEventType(str(r, "event_type"))
        .setSchemaVersion((Integer) r.get("schema_version"))
        .setOccurredAtMillis((Long) r.get("occurred_at"))
        .setReceivedAtMillis((Long) r.get("received_at"))
        .setWorkspaceGid(str(r, "workspace_gid"))
        .setActorId(str(r, "actor_id"))
        .setPlatform(str(r, "platform"))
        .setService(str(r, "service"))
        .setAppVersion(str(r, "app_version"))
        .setResourceType(str(r, "resource_type"))
        .setResourceGid(str(r, "resource_gid"))
        .setTaskGid(str(r, "task_gid"))
        .setTriggerEventId(str(r, "trigger_event_id"))
        .setTriggerEventType(str(r, "trigger_event_type"))
        .setPayloadJson(str(r, "payload_json"))
        .setSource(
            SourceRef.of(
                SourceRef.Kind.fromCode(str(r, "source_kind")),
                str(r, "source_name"),
                (Integer) r.get("source_partition"),
                (Long) r.get("source_offset")))
        .build();
  }

  /**
   * The columns a bounded replay reads ({@link RawStoreIO.Read#withMetricColumnsOnly}): what {@code
   * DedupByEventId} (event id, arrival, source coordinate for the tie-break), {@code SplitCanaries}
   * (workspace), {@code AssignEventTime} (occurred_at) and {@code ComputeMetrics} (event type,
   * workspace, actor, task gid, trigger id and type, and both times for its lateness rule) read of
   * an event. Not read: {@code schema_version}, {@code platform}, {@code service}, {@code
   * app_version}, {@code resource_type}, {@code resource_gid} and, above all, {@code payload_json},
   * most of a row's bytes. A metric that reads another field of the event must add its column here.
   */
  public static final List<String> METRIC_COLUMNS =
      List.of(
          "event_id",
          "event_type",
          "occurred_at",
          "received_at",
          "workspace_gid",
          "actor_id",
          "task_gid",
          "trigger_event_id",
          "trigger_event_type",
          "source_kind",
          "source_name",
          "source_partition",
          "source_offset");

  /**
   * {@link #SCHEMA} reduced to the named columns, in the given order (a Parquet read projection).
   */
  static Schema projection(List<String> names) {
    List<Schema.Field> fields = new ArrayList<>();
    for (String name : names) {
      Schema.Field f = SCHEMA.getField(name);
      fields.add(new Schema.Field(f.name(), f.schema(), f.doc()));
    }
    return Schema.createRecord(
        SCHEMA.getName(), SCHEMA.getDoc(), SCHEMA.getNamespace(), false, fields);
  }

  // Avro hands strings back as Utf8 unless told otherwise.
  private static @Nullable String str(GenericRecord r, String field) {
    Object v = r.get(field);
    return v == null ? null : v.toString();
  }
}
