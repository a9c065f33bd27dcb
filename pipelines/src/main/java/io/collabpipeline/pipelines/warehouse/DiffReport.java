package io.collabpipeline.pipelines.warehouse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Renders a {@link WarehouseDiff} (what a replay commit would change) for people, as text, and for
 * tools, as JSON: per table, the rows before and after, the rows added, removed and changed, the
 * windows changed and the largest changes with their keys and before/after values. Timestamps are
 * rendered as UTC ISO-8601 instants. Pure: it reads nothing but the diff.
 */
public final class DiffReport {
  /** Changed windows listed per table in the text; the rest are counted. */
  public static final int MAX_WINDOWS_LISTED = 10;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DiffReport() {}

  /** The human-readable report, one block per table. */
  public static String text(WarehouseDiff diff) {
    StringBuilder out = new StringBuilder();
    long rows = 0;
    long windows = 0;
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      rows += t.rowsAdded() + t.rowsRemoved() + t.rowsChanged();
      windows += t.windowsChanged().size();
    }
    out.append(
        String.format(
            Locale.ROOT,
            "diff of generation %d for %s: %s%n",
            diff.generation(),
            diff.scope(),
            rows == 0
                ? "no row would change"
                : rows + " rows would change in " + windows + " windows"));
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      if (t.newerGeneration() != null) {
        out.append(
            String.format(
                Locale.ROOT,
                "  a commit would be REFUSED: %s holds rows of the newer generation %d in this range%n",
                t.table().tableName(),
                t.newerGeneration()));
      }
    }
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      appendTable(out, t);
    }
    return out.toString();
  }

  private static void appendTable(StringBuilder out, WarehouseDiff.TableDiff t) {
    out.append(
        String.format(
            Locale.ROOT,
            "%s: %d rows before, %d after; %d added, %d removed, %d changed in %d windows%n",
            t.table().tableName(),
            t.rowsBefore(),
            t.rowsAfter(),
            t.rowsAdded(),
            t.rowsRemoved(),
            t.rowsChanged(),
            t.windowsChanged().size()));
    if (t.rowsOutsideScope() > 0) {
      out.append(
          String.format(
              Locale.ROOT,
              "  %d staged rows outside the range (windows the replay saw only partly) would be dropped%n",
              t.rowsOutsideScope()));
    }
    if (!t.windowsChanged().isEmpty()) {
      List<String> listed = new ArrayList<>();
      for (WarehouseDiff.Window w : t.windowsChanged()) {
        if (listed.size() == MAX_WINDOWS_LISTED) {
          break;
        }
        listed.add(instant(w.windowStart()) + " " + w.granularity());
      }
      int more = t.windowsChanged().size() - listed.size();
      out.append("  windows: ").append(String.join(", ", listed));
      if (more > 0) {
        out.append(" and ").append(more).append(" more");
      }
      out.append(System.lineSeparator());
    }
    if (!t.largestChanges().isEmpty()) {
      out.append("  largest changes:").append(System.lineSeparator());
      for (WarehouseDiff.RowChange c : t.largestChanges()) {
        out.append(
            String.format(
                Locale.ROOT,
                "    %-8s %s  %s%n",
                c.kind().name().toLowerCase(Locale.ROOT),
                keyText(t.table(), c.key()),
                valuesText(t.table(), c.before(), c.after())));
      }
    }
  }

  /** {@code name=value} for each key column. */
  private static String keyText(CuratedTable table, List<Object> key) {
    List<String> parts = new ArrayList<>();
    List<CuratedTable.Column> keys = table.keyColumns();
    for (int i = 0; i < keys.size(); i++) {
      parts.add(keys.get(i).name() + "=" + value(keys.get(i), key.get(i)));
    }
    return String.join(" ", parts);
  }

  /**
   * {@code column before -> after} for each non-key column that differs ({@code -} for an absent
   * row); timestamps only when both rows exist.
   */
  private static String valuesText(
      CuratedTable table, @Nullable CuratedRow before, @Nullable CuratedRow after) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < table.columns().size(); i++) {
      CuratedTable.Column c = table.columns().get(i);
      if (c.isKey()) {
        continue;
      }
      Object b = before == null ? null : before.values().get(i);
      Object a = after == null ? null : after.values().get(i);
      if ((b != null && b.equals(a))
          || (c.type() == CuratedTable.ColumnType.TIMESTAMP && (before == null || after == null))) {
        continue; // unchanged; or window_end of an added or removed row, which its key already says
      }
      parts.add(
          c.name()
              + " "
              + (b == null ? "-" : value(c, b))
              + " -> "
              + (a == null ? "-" : value(c, a)));
    }
    return String.join(", ", parts);
  }

  private static String value(CuratedTable.Column column, Object value) {
    return column.type() == CuratedTable.ColumnType.TIMESTAMP
        ? instant((Long) value)
        : String.valueOf(value);
  }

  private static String instant(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }

  /** The report as a JSON document (indented, fields in a fixed order). */
  public static String json(WarehouseDiff diff) {
    ObjectNode root = JSON.createObjectNode();
    root.put("generation", diff.generation());
    root.put("from", diff.scope().from().toString());
    root.put("to", diff.scope().to().toString());
    root.put("wouldBeRefused", diff.wouldBeRefused());
    ArrayNode tables = root.putArray("tables");
    for (WarehouseDiff.TableDiff t : diff.tables()) {
      ObjectNode node = tables.addObject();
      node.put("table", t.table().tableName());
      node.put("rowsBefore", t.rowsBefore());
      node.put("rowsAfter", t.rowsAfter());
      node.put("rowsAdded", t.rowsAdded());
      node.put("rowsRemoved", t.rowsRemoved());
      node.put("rowsChanged", t.rowsChanged());
      node.put("rowsOutsideScope", t.rowsOutsideScope());
      if (t.newerGeneration() == null) {
        node.putNull("newerGeneration");
      } else {
        node.put("newerGeneration", t.newerGeneration());
      }
      ArrayNode windows = node.putArray("windowsChanged");
      for (WarehouseDiff.Window w : t.windowsChanged()) {
        windows
            .addObject()
            .put("windowStart", instant(w.windowStart()))
            .put("granularity", w.granularity());
      }
      ArrayNode changes = node.putArray("largestChanges");
      for (WarehouseDiff.RowChange c : t.largestChanges()) {
        ObjectNode change = changes.addObject();
        change.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
        ObjectNode key = change.putObject("key");
        List<CuratedTable.Column> keyColumns = t.table().keyColumns();
        for (int i = 0; i < keyColumns.size(); i++) {
          put(key, keyColumns.get(i), c.key().get(i));
        }
        change.put("magnitude", c.magnitude());
        putRow(change, "before", c.before());
        putRow(change, "after", c.after());
      }
    }
    try {
      return JSON.writeValueAsString(root) + System.lineSeparator();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the diff as JSON", e);
    }
  }

  private static void putRow(ObjectNode parent, String field, @Nullable CuratedRow row) {
    if (row == null) {
      parent.putNull(field);
      return;
    }
    ObjectNode node = parent.putObject(field);
    for (int i = 0; i < row.table().columns().size(); i++) {
      CuratedTable.Column c = row.table().columns().get(i);
      if (!c.isKey()) {
        put(node, c, row.values().get(i));
      }
    }
  }

  private static void put(ObjectNode node, CuratedTable.Column column, Object value) {
    switch (column.type()) {
      case TIMESTAMP:
        node.put(column.name(), instant((Long) value));
        break;
      case STRING:
        node.put(column.name(), (String) value);
        break;
      case DOUBLE:
        node.put(column.name(), (Double) value);
        break;
      default:
        node.put(column.name(), (Long) value);
    }
  }

  /**
   * Writes {@link #json} to {@code file} (its directory is created if needed) and returns the file.
   */
  public static Path saveJson(WarehouseDiff diff, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.write(file, json(diff).getBytes(StandardCharsets.UTF_8));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the diff report to " + file, e);
    }
  }
}
