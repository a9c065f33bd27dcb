package io.collabpipeline.pipelines.stores;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads a raw store file's {@link RawStoreSchema#METRIC_COLUMNS} straight into the narrow event of
 * a replay, the read-side twin of {@link RawParquetSink.EventWriteSupport}: no Avro schema and no
 * Avro record in between. The narrow event holds every field a replay's steps read as stored and
 * the others empty ({@code ""} for the required strings and the payload, null for the optional
 * ones, schema version 0); it is only for the metrics of a replay, never for a writer of events.
 *
 * <p>Parquet's Avro reader parses the Avro schema from JSON twice per file (the requested
 * projection and the read schema, both carried as text in the configuration), builds a {@code
 * GenericRecord} of {@code Utf8} values per row, and the event is then built from those. A replay
 * opens every file of its dates (220 files for the benchmark's 287,875 events), and in the
 * benchmark's replays the JIT was still compiling Jackson's tree parser and Avro's schema code
 * after the warm-up. Here each column's converter hands its value to the event being read, and a
 * dictionary-encoded column (event type, workspace, actor, source) decodes each dictionary entry to
 * a String once per column chunk, not once per row.
 *
 * <p>The projection is taken from the file's own schema by name. A file that lacks one of the
 * columns, holds one with another physical type, or holds timestamps other than UTC epoch
 * milliseconds, fails the read with the file's column named: the replay's counts would be wrong
 * otherwise. Optional columns ({@code task_gid}, {@code trigger_event_*}) absent from a row read as
 * null; a required one absent from a row fails.
 */
final class MetricColumnsReadSupport extends ReadSupport<CollabEvent> {

  /** The physical type each metric column must have, in {@link RawStoreSchema#METRIC_COLUMNS}. */
  private static final List<PrimitiveTypeName> TYPES =
      List.of(
          PrimitiveTypeName.BINARY, // event_id
          PrimitiveTypeName.BINARY, // event_type
          PrimitiveTypeName.INT64, // occurred_at
          PrimitiveTypeName.INT64, // received_at
          PrimitiveTypeName.BINARY, // workspace_gid
          PrimitiveTypeName.BINARY, // actor_id
          PrimitiveTypeName.BINARY, // task_gid
          PrimitiveTypeName.BINARY, // trigger_event_id
          PrimitiveTypeName.BINARY, // trigger_event_type
          PrimitiveTypeName.BINARY, // source_kind
          PrimitiveTypeName.BINARY, // source_name
          PrimitiveTypeName.INT32, // source_partition
          PrimitiveTypeName.INT64); // source_offset

  /** The logical type of the two timestamp columns, as the raw sink writes them. */
  private static final LogicalTypeAnnotation UTC_MILLIS =
      LogicalTypeAnnotation.timestampType(true, TimeUnit.MILLIS);

  // Positions in RawStoreSchema.METRIC_COLUMNS, the order of the projection.
  private static final int EVENT_ID = 0;
  private static final int EVENT_TYPE = 1;
  private static final int OCCURRED_AT = 2;
  private static final int RECEIVED_AT = 3;
  private static final int WORKSPACE_GID = 4;
  private static final int ACTOR_ID = 5;
  private static final int TASK_GID = 6;
  private static final int TRIGGER_EVENT_ID = 7;
  private static final int TRIGGER_EVENT_TYPE = 8;
  private static final int SOURCE_KIND = 9;
  private static final int SOURCE_NAME = 10;
  private static final int SOURCE_PARTITION = 11;
  private static final int SOURCE_OFFSET = 12;

  static {
    if (TYPES.size() != RawStoreSchema.METRIC_COLUMNS.size()) {
      throw new IllegalStateException(
          "MetricColumnsReadSupport reads "
              + TYPES.size()
              + " columns, RawStoreSchema.METRIC_COLUMNS names "
              + RawStoreSchema.METRIC_COLUMNS.size());
    }
  }

  @Override
  public ReadContext init(InitContext context) {
    return new ReadContext(projection(context.getFileSchema()));
  }

  @Override
  public ReadContext init(
      Configuration configuration, Map<String, String> keyValueMetaData, MessageType fileSchema) {
    return new ReadContext(projection(fileSchema));
  }

  @Override
  public ReadContext init(
      ParquetConfiguration configuration,
      Map<String, String> keyValueMetaData,
      MessageType fileSchema) {
    return new ReadContext(projection(fileSchema));
  }

  @Override
  public RecordMaterializer<CollabEvent> prepareForRead(
      Configuration configuration,
      Map<String, String> keyValueMetaData,
      MessageType fileSchema,
      ReadContext readContext) {
    return new EventMaterializer();
  }

  @Override
  public RecordMaterializer<CollabEvent> prepareForRead(
      ParquetConfiguration configuration,
      Map<String, String> keyValueMetaData,
      MessageType fileSchema,
      ReadContext readContext) {
    return new EventMaterializer();
  }

  /**
   * The file's metric columns, in {@link RawStoreSchema#METRIC_COLUMNS}' order, each checked for
   * its physical type.
   */
  static MessageType projection(MessageType fileSchema) {
    List<Type> fields = new ArrayList<>();
    for (int i = 0; i < TYPES.size(); i++) {
      String name = RawStoreSchema.METRIC_COLUMNS.get(i);
      if (!fileSchema.containsField(name)) {
        throw new IllegalStateException(
            "the raw store file has no column "
                + name
                + " (a replay reads "
                + RawStoreSchema.METRIC_COLUMNS
                + "); its columns: "
                + fieldNames(fileSchema));
      }
      Type field = fileSchema.getType(name);
      if (!field.isPrimitive()
          || field.asPrimitiveType().getPrimitiveTypeName() != TYPES.get(i)
          || field.isRepetition(Type.Repetition.REPEATED)) {
        throw new IllegalStateException(
            "the raw store file's column "
                + name
                + " is "
                + field
                + "; a replay reads it as a single "
                + TYPES.get(i));
      }
      if (i == OCCURRED_AT || i == RECEIVED_AT) {
        requireUtcMillis(name, field);
      }
      fields.add(field);
    }
    return new MessageType(fileSchema.getName(), fields);
  }

  /**
   * A timestamp column must hold UTC epoch milliseconds ({@code TIMESTAMP(MILLIS,true)}, what the
   * raw sink and Avro's {@code timestamp-millis} write). Another writer's INT64 timestamps of
   * another unit would pass the physical type and be read as milliseconds: a file of microseconds
   * (DuckDB's and Spark's default) would put every event some 50,000 years ahead, out of every
   * window the replay replaces, and a local-time column would shift every event by the writer's
   * offset. Neither is a raw store file; the replay refuses it, naming the column.
   */
  private static void requireUtcMillis(String name, Type field) {
    if (UTC_MILLIS.equals(field.getLogicalTypeAnnotation())) {
      return;
    }
    throw new IllegalStateException(
        "the raw store file's column "
            + name
            + " is "
            + field
            + "; a replay reads it as UTC epoch milliseconds, TIMESTAMP(MILLIS,true), as the raw"
            + " store's writer writes it (another unit or a local time would move every event)");
  }

  private static List<String> fieldNames(MessageType schema) {
    List<String> names = new ArrayList<>();
    for (Type t : schema.getFields()) {
      names.add(t.getName());
    }
    return names;
  }

  /** One row's values, then its event; the converters of the columns write into it. */
  private static final class EventMaterializer extends RecordMaterializer<CollabEvent> {
    private final @Nullable String[] strings = new String[TYPES.size()];
    private final long[] longs = new long[TYPES.size()];
    private final boolean[] seen = new boolean[TYPES.size()];
    private final Root root = new Root();

    @Override
    public CollabEvent getCurrentRecord() {
      return CollabEvent.builder()
          .setEventId(required(EVENT_ID))
          .setEventType(required(EVENT_TYPE))
          .setSchemaVersion(0)
          .setOccurredAtMillis(requiredLong(OCCURRED_AT))
          .setReceivedAtMillis(requiredLong(RECEIVED_AT))
          .setWorkspaceGid(required(WORKSPACE_GID))
          .setActorId(required(ACTOR_ID))
          .setPlatform("")
          .setService(null)
          .setAppVersion(null)
          .setResourceType("")
          .setResourceGid("")
          .setTaskGid(strings[TASK_GID])
          .setTriggerEventId(strings[TRIGGER_EVENT_ID])
          .setTriggerEventType(strings[TRIGGER_EVENT_TYPE])
          .setPayloadJson("")
          .setSource(
              SourceRef.of(
                  SourceRef.Kind.fromCode(required(SOURCE_KIND)),
                  required(SOURCE_NAME),
                  (int) requiredLong(SOURCE_PARTITION),
                  requiredLong(SOURCE_OFFSET)))
          .build();
    }

    @Override
    public GroupConverter getRootConverter() {
      return root;
    }

    private String required(int column) {
      String v = strings[column];
      if (v == null) {
        throw missing(column);
      }
      return v;
    }

    private long requiredLong(int column) {
      if (!seen[column]) {
        throw missing(column);
      }
      return longs[column];
    }

    private static IllegalStateException missing(int column) {
      return new IllegalStateException(
          "a row of the raw store file has no value for its required column "
              + RawStoreSchema.METRIC_COLUMNS.get(column));
    }

    private final class Root extends GroupConverter {
      private final Converter[] columns = new Converter[TYPES.size()];

      Root() {
        for (int i = 0; i < columns.length; i++) {
          columns[i] =
              TYPES.get(i) == PrimitiveTypeName.BINARY ? new StringColumn(i) : new NumberColumn(i);
        }
      }

      @Override
      public Converter getConverter(int fieldIndex) {
        return columns[fieldIndex];
      }

      @Override
      public void start() {
        java.util.Arrays.fill(strings, null);
        java.util.Arrays.fill(seen, false);
      }

      @Override
      public void end() {}
    }

    /**
     * A UTF-8 column; with a dictionary, each entry is decoded once per column chunk, when a row
     * first uses it.
     */
    private final class StringColumn extends PrimitiveConverter {
      private final int column;
      private @Nullable Dictionary dictionary;
      private @Nullable String[] decoded = new String[0];

      StringColumn(int column) {
        this.column = column;
      }

      @Override
      public boolean hasDictionarySupport() {
        return true;
      }

      @Override
      public void setDictionary(Dictionary dictionary) {
        this.dictionary = dictionary;
        this.decoded = new String[dictionary.getMaxId() + 1];
      }

      @Override
      public void addValueFromDictionary(int dictionaryId) {
        String v = decoded[dictionaryId];
        if (v == null) {
          v = dictionary.decodeToBinary(dictionaryId).toStringUsingUTF8();
          decoded[dictionaryId] = v;
        }
        strings[column] = v;
      }

      @Override
      public void addBinary(Binary value) {
        strings[column] = value.toStringUsingUTF8();
      }
    }

    /** An INT32 or INT64 column. */
    private final class NumberColumn extends PrimitiveConverter {
      private final int column;

      NumberColumn(int column) {
        this.column = column;
      }

      @Override
      public void addInt(int value) {
        longs[column] = value;
        seen[column] = true;
      }

      @Override
      public void addLong(long value) {
        longs[column] = value;
        seen[column] = true;
      }
    }
  }
}
