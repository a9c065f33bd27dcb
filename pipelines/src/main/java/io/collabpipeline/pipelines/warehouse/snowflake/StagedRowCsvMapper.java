package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.warehouse.PartialWindows;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Maps a curated row and the index of the pane that produced it to the fields of one staged CSV
 * line, in the column order of the stage table (03_stage_tables.sql): the {@link CuratedTable}
 * columns, then {@code generation}, then {@code pane_index}, then {@code seen_whole}: false iff the
 * writing stream started without the previous job's state and the row's window starts before {@link
 * PartialWindows#partialBeforeMillis} of its table, which the MERGE files fence and record.
 *
 * <p>SnowflakeIO turns the fields into CSV: strings are enclosed in single quotes (a quote inside
 * is doubled), other values are written with {@code toString()}. So TIMESTAMP columns become UTC
 * text {@code yyyy-MM-dd HH:mm:ss.SSS} (which COPY parses into TIMESTAMP_NTZ without any session
 * time zone involved), STRING columns stay strings, LONG and DOUBLE columns are numbers, and the
 * flag is {@code true} or {@code false} (a BOOLEAN to Snowflake's COPY and PostgreSQL's alike).
 */
final class StagedRowCsvMapper implements SnowflakeIO.UserDataMapper<KV<Long, CuratedRow>> {
  private static final long serialVersionUID = 1L;

  static final DateTimeFormatter UTC_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final long generation;
  private final @Nullable PartialWindows partialWindows;

  /** The mapper of a job that saw every window whole. */
  StagedRowCsvMapper(long generation) {
    this(generation, null);
  }

  /**
   * The mapper of a job of {@code generation} that sees windows whole only as {@code
   * partialWindows} says (null: every window).
   */
  StagedRowCsvMapper(long generation, @Nullable PartialWindows partialWindows) {
    this.generation = generation;
    this.partialWindows = partialWindows;
  }

  @Override
  public Object[] mapRow(KV<Long, CuratedRow> paneAndRow) {
    CuratedRow row = paneAndRow.getValue();
    List<CuratedTable.Column> columns = row.table().columns();
    Object[] fields = new Object[columns.size() + 3];
    for (int i = 0; i < columns.size(); i++) {
      Object value = row.values().get(i);
      fields[i] =
          columns.get(i).type() == CuratedTable.ColumnType.TIMESTAMP
              ? UTC_MILLIS.format(Instant.ofEpochMilli((Long) value))
              : value;
    }
    fields[columns.size()] = generation;
    fields[columns.size() + 1] = paneAndRow.getKey();
    fields[columns.size() + 2] =
        partialWindows == null
            || row.getLong("window_start") >= partialWindows.partialBeforeMillis(row.table());
    return fields;
  }
}
