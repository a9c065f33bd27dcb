package io.collabpipeline.coders;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;

/**
 * Deterministic coder for {@link CuratedRow}: the table name, then each value in column order by
 * its column type. Doubles travel as their canonical IEEE-754 bits, so equal values always encode
 * to equal bytes.
 */
public final class CuratedRowCoder extends AtomicCoder<CuratedRow> {
  private static final CuratedRowCoder INSTANCE = new CuratedRowCoder();
  private static final BigEndianLongCoder FIXED_LONG = BigEndianLongCoder.of();

  public static CuratedRowCoder of() {
    return INSTANCE;
  }

  private CuratedRowCoder() {}

  @Override
  public void encode(CuratedRow row, OutputStream out) throws IOException {
    CuratedTable table = row.table();
    Codec.writeString(table.tableName(), out);
    List<CuratedTable.Column> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      Object v = row.values().get(i);
      switch (columns.get(i).type()) {
        case STRING:
          Codec.writeString((String) v, out);
          break;
        case DOUBLE:
          FIXED_LONG.encode(Double.doubleToLongBits((Double) v), out);
          break;
        default:
          Codec.writeLong((Long) v, out);
      }
    }
  }

  @Override
  public CuratedRow decode(InputStream in) throws IOException {
    CuratedTable table = CuratedTable.fromTableName(Codec.readString(in));
    List<Object> values = new ArrayList<>(table.columns().size());
    for (CuratedTable.Column c : table.columns()) {
      switch (c.type()) {
        case STRING:
          values.add(Codec.readString(in));
          break;
        case DOUBLE:
          values.add(Double.longBitsToDouble(FIXED_LONG.decode(in)));
          break;
        default:
          values.add(Codec.readLong(in));
      }
    }
    return CuratedRow.of(table, values);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
