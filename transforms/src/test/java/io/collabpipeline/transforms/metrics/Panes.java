package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Test helpers for accumulating panes, independent of the order in which parallel output arrives.
 */
public final class Panes {
  private Panes() {}

  /**
   * The last value of each warehouse key. With accumulating panes every later pane of a key holds
   * at least the counts of every earlier one, so the panes of a key form a chain under the
   * column-wise order of their counts; this fails if they do not (a pane that lost data), and
   * returns the top of each chain.
   */
  public static List<CuratedRow> latestPerKey(Iterable<CuratedRow> rows) {
    Map<List<Object>, CuratedRow> latest = new LinkedHashMap<>();
    for (CuratedRow row : rows) {
      List<Object> key = new ArrayList<>(Arrays.asList(row.table(), row.key()));
      CuratedRow seen = latest.get(key);
      if (seen == null || dominates(row, seen)) {
        latest.put(key, row);
      } else if (!dominates(seen, row)) {
        throw new AssertionError("panes of one key are not accumulating: " + seen + " vs " + row);
      }
    }
    return new ArrayList<>(latest.values());
  }

  /**
   * Rows as their text, for comparing inside a {@code PAssert} function (which must be
   * serializable, as the model's rows are not); equal rows have equal text.
   */
  public static ArrayList<String> text(Iterable<CuratedRow> rows) {
    ArrayList<String> out = new ArrayList<>();
    for (CuratedRow r : rows) {
      out.add(r.toString());
    }
    return out;
  }

  /** Whether every LONG value column of {@code a} is at least that of {@code b}. */
  static boolean dominates(CuratedRow a, CuratedRow b) {
    List<CuratedTable.Column> columns = a.table().columns();
    for (int i = 0; i < columns.size(); i++) {
      CuratedTable.Column c = columns.get(i);
      if (!c.isKey() && c.type() == CuratedTable.ColumnType.LONG) {
        if ((Long) a.values().get(i) < (Long) b.values().get(i)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Counts the rows it sees per table in namespace "test", to check the transforms' own row
   * counters.
   */
  public static final class CountRowsFn extends DoFn<CuratedRow, CuratedRow> {
    public static final String NAMESPACE = "test";

    @ProcessElement
    public void processElement(@Element CuratedRow row, OutputReceiver<CuratedRow> out) {
      Counter c = Metrics.counter(NAMESPACE, row.table().tableName());
      c.inc();
      out.output(row);
    }
  }
}
