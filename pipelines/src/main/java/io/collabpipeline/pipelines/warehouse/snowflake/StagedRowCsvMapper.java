package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.values.KV;

/**
 * Maps a curated row and the index of the pane that produced it to the fields of one staged CSV
 * line, in the column order of the stage table (03_stage_tables.sql): the {@link CuratedTable}
 * columns, then {@code generation}, then {@code pane_index}.
 *
 * <p>SnowflakeIO turns the fields into CSV: strings are enclosed in single quotes (a quote inside
 * is doubled), other values are written with {@code toString()}. So TIMESTAMP columns become UTC
 * text {@code yyyy-MM-dd HH:mm:ss.SSS} (which COPY parses into TIMESTAMP_NTZ without any session
 * time zone involved), STRING columns stay strings, LONG and DOUBLE columns are numbers.
 */
final class StagedRowCsvMapper implements SnowflakeIO.UserDataMapper<KV<Long, CuratedRow>> {
  private static final long serialVersionUID = 1L;

  static final DateTimeFormatter UTC_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final long generation;

  StagedRowCsvMapper(long generation) {
    this.generation = generation;
  }

  @Override
  public Object[] mapRow(KV<Long, CuratedRow> paneAndRow) {
    CuratedRow row = paneAndRow.getValue();
    List<CuratedTable.Column> columns = row.table().columns();
    Object[] fields = new Object[columns.size() + 2];
    for (int i = 0; i < columns.size(); i++) {
      Object value = row.values().get(i);
      fields[i] =
          columns.get(i).type() == CuratedTable.ColumnType.TIMESTAMP
              ? UTC_MILLIS.format(Instant.ofEpochMilli((Long) value))
              : value;
    }
    fields[columns.size()] = generation;
    fields[columns.size() + 1] = paneAndRow.getKey();
    return fields;
  }
}
