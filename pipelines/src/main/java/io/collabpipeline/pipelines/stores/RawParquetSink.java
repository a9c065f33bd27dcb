package io.collabpipeline.pipelines.stores;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.ParquetEncodingException;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The raw store's Parquet file writer: {@link RawStoreSchema#SCHEMA} records, without a dictionary
 * for the columns that are unique or nearly so per event, and without min/max statistics for the
 * payload.
 *
 * <p>Parquet's writer starts every column with a dictionary and falls back to plain encoding once
 * the dictionary outgrows its page; for an event id, a timestamp or a ~1 KB JSON payload that is
 * hashing and comparing every value for nothing (about a third of the raw archive's writing time in
 * a profile of the benchmark). The min/max of a JSON text prunes nothing and costs a byte-wise
 * comparison of every payload. The columns readers filter or group by (event type, workspace,
 * source) keep their dictionary and every column but the payload its statistics. The files read
 * alike: encodings are per column chunk and every Parquet reader handles both.
 *
 * <p>{@code ParquetIO.sink} offers neither setting (its configuration map does not reach the
 * writer's per-column properties), hence this sink.
 *
 * <p>It writes each {@link CollabEvent} straight to Parquet's columns ({@link EventWriteSupport}),
 * without an Avro record in between: building a {@code GenericRecord} per event was a fifth of the
 * raw archive's task in a profile of the benchmark, besides Avro's writer walking it by schema. The
 * files are the ones Avro's Parquet writer makes of {@link RawStoreSchema#SCHEMA}: the same Parquet
 * schema (Avro's conversion of it), the same Avro schema and object model in the footer (so Avro
 * readers, replays and DuckDB read them as before), the same column values. {@code
 * RawParquetSinkTest} compares them with Avro's writer byte for byte.
 */
final class RawParquetSink implements FileIO.Sink<CollabEvent> {
  private static final long serialVersionUID = 1L;

  /** Unique or nearly unique per event: plain encoding from the start. */
  static final List<String> NO_DICTIONARY =
      List.of(
          "event_id",
          "occurred_at",
          "received_at",
          "resource_gid",
          "task_gid",
          "trigger_event_id",
          "payload_json",
          "source_offset");

  /** No min/max statistics: nothing prunes on it. */
  static final String NO_STATISTICS = "payload_json";

  private final CompressionCodecName compression;
  private transient ParquetWriter<CollabEvent> writer;

  RawParquetSink(CompressionCodecName compression) {
    this.compression = compression;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    Builder builder =
        new Builder(new ChannelOutputFile(channel))
            .withCompressionCodec(compression)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            // Without default resources: a Configuration that loads them parses Hadoop's XML
            // from the class path, once per file written; the writer needs none of it.
            .withConf(new Configuration(false))
            .withStatisticsEnabled(NO_STATISTICS, false);
    for (String column : NO_DICTIONARY) {
      builder = builder.withDictionaryEncoding(column, false);
    }
    writer = builder.build();
  }

  @Override
  public void write(CollabEvent event) throws IOException {
    writer.write(event);
  }

  @Override
  public void flush() throws IOException {
    // Writes the footer; FileIO closes the channel.
    writer.close();
  }

  private static final class Builder extends ParquetWriter.Builder<CollabEvent, Builder> {
    Builder(OutputFile file) {
      super(file);
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<CollabEvent> getWriteSupport(Configuration conf) {
      return new EventWriteSupport();
    }
  }

  /**
   * Writes an event's fields as the columns of {@link RawStoreSchema#SCHEMA}, in its order, as
   * Avro's Parquet writer writes a record of it: strings as UTF-8 binaries ({@link
   * Binary#fromCharSequence}, the call Avro's writer makes), timestamps as their epoch millis, a
   * null optional column left out of the record.
   */
  static final class EventWriteSupport extends WriteSupport<CollabEvent> {
    /** Avro's Parquet schema of {@link RawStoreSchema#SCHEMA}, as Avro's writer derives it. */
    static final MessageType PARQUET_SCHEMA =
        new AvroSchemaConverter().convert(RawStoreSchema.SCHEMA);

    /** The footer key of the Avro schema, which Avro readers read the file with. */
    static final String AVRO_SCHEMA_KEY = "parquet.avro.schema";

    /** The object model Avro's writer names in the footer; these files are its files. */
    static final String OBJECT_MODEL = "avro";

    private static final String AVRO_SCHEMA_JSON = RawStoreSchema.SCHEMA.toString();

    private RecordConsumer out;

    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(PARQUET_SCHEMA, Map.of(AVRO_SCHEMA_KEY, AVRO_SCHEMA_JSON));
    }

    @Override
    public String getName() {
      return OBJECT_MODEL;
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.out = recordConsumer;
    }

    @Override
    public void write(CollabEvent e) {
      out.startMessage();
      string(EVENT_ID, e.eventId());
      string(EVENT_TYPE, e.eventType());
      integer(SCHEMA_VERSION, e.schemaVersion());
      longValue(OCCURRED_AT, e.occurredAtMillis());
      longValue(RECEIVED_AT, e.receivedAtMillis());
      string(WORKSPACE_GID, e.workspaceGid());
      string(ACTOR_ID, e.actorId());
      string(PLATFORM, e.platform());
      string(SERVICE, e.service());
      string(APP_VERSION, e.appVersion());
      string(RESOURCE_TYPE, e.resourceType());
      string(RESOURCE_GID, e.resourceGid());
      string(TASK_GID, e.taskGid());
      string(TRIGGER_EVENT_ID, e.triggerEventId());
      string(TRIGGER_EVENT_TYPE, e.triggerEventType());
      string(PAYLOAD_JSON, e.payloadJson());
      SourceRef source = e.source();
      string(SOURCE_KIND, source.kind().code());
      string(SOURCE_NAME, source.name());
      integer(SOURCE_PARTITION, source.partition());
      longValue(SOURCE_OFFSET, source.offset());
      out.endMessage();
    }

    /** A string column; null leaves an optional column out (a required one fails the write). */
    private void string(int field, @Nullable String value) {
      if (value == null) {
        if (PARQUET_SCHEMA.getType(field).isRepetition(Type.Repetition.REQUIRED)) {
          throw new ParquetEncodingException(
              "null value for the required raw store column " + PARQUET_SCHEMA.getFieldName(field));
        }
        return;
      }
      out.startField(PARQUET_SCHEMA.getFieldName(field), field);
      // String.getBytes, not Binary.fromCharSequence: the same UTF-8 bytes, but the latter encodes
      // through a CharsetEncoder, which was two thirds of the archive task's samples.
      out.addBinary(Binary.fromConstantByteArray(value.getBytes(StandardCharsets.UTF_8)));
      out.endField(PARQUET_SCHEMA.getFieldName(field), field);
    }

    private void integer(int field, int value) {
      out.startField(PARQUET_SCHEMA.getFieldName(field), field);
      out.addInteger(value);
      out.endField(PARQUET_SCHEMA.getFieldName(field), field);
    }

    private void longValue(int field, long value) {
      out.startField(PARQUET_SCHEMA.getFieldName(field), field);
      out.addLong(value);
      out.endField(PARQUET_SCHEMA.getFieldName(field), field);
    }

    // Positions of the columns in the schema, by name: a column the schema lacks fails here, when
    // the class loads, not in a write.
    private static final int EVENT_ID = PARQUET_SCHEMA.getFieldIndex("event_id");
    private static final int EVENT_TYPE = PARQUET_SCHEMA.getFieldIndex("event_type");
    private static final int SCHEMA_VERSION = PARQUET_SCHEMA.getFieldIndex("schema_version");
    private static final int OCCURRED_AT = PARQUET_SCHEMA.getFieldIndex("occurred_at");
    private static final int RECEIVED_AT = PARQUET_SCHEMA.getFieldIndex("received_at");
    private static final int WORKSPACE_GID = PARQUET_SCHEMA.getFieldIndex("workspace_gid");
    private static final int ACTOR_ID = PARQUET_SCHEMA.getFieldIndex("actor_id");
    private static final int PLATFORM = PARQUET_SCHEMA.getFieldIndex("platform");
    private static final int SERVICE = PARQUET_SCHEMA.getFieldIndex("service");
    private static final int APP_VERSION = PARQUET_SCHEMA.getFieldIndex("app_version");
    private static final int RESOURCE_TYPE = PARQUET_SCHEMA.getFieldIndex("resource_type");
    private static final int RESOURCE_GID = PARQUET_SCHEMA.getFieldIndex("resource_gid");
    private static final int TASK_GID = PARQUET_SCHEMA.getFieldIndex("task_gid");
    private static final int TRIGGER_EVENT_ID = PARQUET_SCHEMA.getFieldIndex("trigger_event_id");
    private static final int TRIGGER_EVENT_TYPE =
        PARQUET_SCHEMA.getFieldIndex("trigger_event_type");
    private static final int PAYLOAD_JSON = PARQUET_SCHEMA.getFieldIndex("payload_json");
    private static final int SOURCE_KIND = PARQUET_SCHEMA.getFieldIndex("source_kind");
    private static final int SOURCE_NAME = PARQUET_SCHEMA.getFieldIndex("source_name");
    private static final int SOURCE_PARTITION = PARQUET_SCHEMA.getFieldIndex("source_partition");
    private static final int SOURCE_OFFSET = PARQUET_SCHEMA.getFieldIndex("source_offset");
  }

  /** The file a {@link FileIO} sink is handed: its channel, written once from the start. */
  private static final class ChannelOutputFile implements OutputFile {
    private final OutputStream out;

    ChannelOutputFile(WritableByteChannel channel) {
      this.out = Channels.newOutputStream(channel);
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return new CountingStream(out);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return new CountingStream(out);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }

  /** The position is what was written: the stream starts at the file's beginning. */
  private static final class CountingStream extends PositionOutputStream {
    private final OutputStream out;
    private long position;

    CountingStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return position;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      position++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      position += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      // The channel is FileIO's to close; only what is buffered goes out.
      out.flush();
    }
  }
}
