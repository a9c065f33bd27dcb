package io.collabpipeline.tools.audit;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.options.S3Options;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.WarehouseConnections;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.pipelines.warehouse.WriteCurated;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * {@code bin/collab-audit --from=DATE --to=DATE}: the automatic lost-event report. For every source
 * partition (a Kafka topic partition, an input file, the generator's partition) and arrival hour of
 * the UTC dates {@code [from, to]}, every offset is accounted for as raw-written (a row of the raw
 * store, {@code source_*} columns), quarantined (a quarantine line's {@code source}) or duplicate
 * (a row of the duplicate ledger, {@code <rawStore>-duplicates}). Offsets between the first and the
 * last accounted offset of a partition that are none of these are lost: the report names them as
 * ranges, prints one line per partition and hour, stores itself in the warehouse ({@code
 * pipeline_audit}) and exits 0 when nothing is lost, 3 when something is (2 for a usage mistake, 1
 * when the audit itself fails).
 *
 * <p>Stores on {@code s3://} (the raw store, and with it the ledger; the quarantine) are read
 * through the pipeline's S3 client ({@code --endpoint}, {@code --s3PathStyle}, {@code
 * --s3Credentials}, {@code --awsRegion}, checked by {@code S3Setup}): the objects the arrival range
 * can need, chosen by the arrival time in their names, are copied into a private temporary
 * directory that is deleted afterwards ({@link S3StoreSnapshot}), and the same queries run over it.
 *
 * <p>Limits: offsets lost before the first or after the last accounted offset of a partition in the
 * range are not seen (the broker's offsets by time would bound them). On S3 the audit copies whole
 * objects: a day of a production raw store is that day's whole raw volume on the audit's local disk
 * ({@code java.io.tmpdir}), and every event-time partition of the store is listed (a few listings
 * per {@code dt=/hr=} partition).
 */
public final class CollabAudit {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_LOST = 3;

  /**
   * {@code --rewriteCompleteness=true}: after an audit that found nothing lost, write {@code
   * pipeline_completeness} of the audited dates from the per-offset account ({@link
   * #completeness}): the repair after a stream started without state, for dates the stream has
   * closed.
   */
  public static final String REWRITE_OPTION = "rewriteCompleteness";

  /** One line of the report: a source partition's arrival hour. */
  public static final class Line {
    public final String kind;
    public final String name;
    public final int partition;
    public final Instant hour;
    public final long firstOffset;
    public final long lastOffset;
    public final long raw;
    public final long quarantined;
    public final long duplicate;
    public final long lost;
    public final String lostOffsets;

    Line(ResultSet rs) throws SQLException {
      this.kind = rs.getString("kind");
      this.name = rs.getString("name");
      this.partition = rs.getInt("part");
      this.hour = Instant.ofEpochMilli(rs.getLong("hour_ms"));
      this.firstOffset = rs.getLong("first_offset");
      this.lastOffset = rs.getLong("last_offset");
      this.raw = rs.getLong("raw");
      this.quarantined = rs.getLong("quarantined");
      this.duplicate = rs.getLong("duplicate");
      this.lost = rs.getLong("lost");
      String ranges = rs.getString("lost_offsets");
      this.lostOffsets = ranges == null ? "" : ranges;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%s:%s/%d %s offsets %d-%d: raw %d, quarantined %d, duplicate %d, lost %d%s",
          kind,
          name,
          partition,
          hour,
          firstOffset,
          lastOffset,
          raw,
          quarantined,
          duplicate,
          lost,
          lost > 0 ? " (" + lostOffsets + ")" : "");
    }
  }

  /** The audit's inputs, as the pipeline names them. */
  public static final class Scope {
    final String rawStore;
    final String quarantineStore;
    final String warehouseUrl;
    final LocalDate from;
    final LocalDate to;

    public Scope(
        String rawStore,
        String quarantineStore,
        String warehouseUrl,
        LocalDate from,
        LocalDate to) {
      this.rawStore = rawStore;
      this.quarantineStore = quarantineStore;
      this.warehouseUrl = warehouseUrl;
      this.from = from;
      this.to = to;
    }

    static Scope fromOptions(CollabPipelineOptions o) {
      LocalDate from = date("from", o.getFrom());
      LocalDate to = date("to", o.getTo());
      if (to.isBefore(from)) {
        throw new UsageException("--to=" + to + " is before --from=" + from);
      }
      String dataDir = Paths.get(o.getDataDir()).toAbsolutePath().toString();
      String raw = o.getRawStore() != null ? o.getRawStore() : dataDir + "/raw";
      String quarantine =
          o.getQuarantineStore() != null ? o.getQuarantineStore() : dataDir + "/quarantine";
      String warehouse =
          o.getWarehouseUrl() != null
              ? o.getWarehouseUrl()
              : "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
      return new Scope(raw, quarantine, warehouse, from, to);
    }

    /** The start of the arrival range, UTC epoch milliseconds. */
    long fromMillis() {
      return from.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    /** The end (exclusive) of the arrival range, UTC epoch milliseconds. */
    long toMillis() {
      return to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    private static LocalDate date(String option, String value) {
      if (value == null || value.isEmpty()) {
        throw new UsageException("--" + option + " is required: a UTC date YYYY-MM-DD");
      }
      try {
        return LocalDate.parse(value);
      } catch (DateTimeParseException e) {
        throw new UsageException("--" + option + "=" + value + " is not a date YYYY-MM-DD");
      }
    }
  }

  private CollabAudit() {}

  /** Runs the audit of {@code scope}: the report's lines, ordered by source and hour. */
  public static List<Line> audit(Scope scope) throws SQLException {
    long fromMs = scope.from.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    long toMs = scope.to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    List<String> parts = sourceParts(scope);
    List<Line> lines = new ArrayList<>();
    if (parts.isEmpty()) {
      return lines;
    }
    // Each offset once, by its best fate (raw before duplicate before quarantined: a quarantined
    // record a quarantine replay wrote raw later is raw); then per partition the gap to the next
    // accounted offset, charged to the hour of the offset before the gap.
    String sql =
        "WITH acc AS ("
            + ACCOUNTED.replace("PARTS", String.join(" UNION ALL ", parts))
            + "),"
            + " nexts AS (SELECT *, lead(off) OVER (PARTITION BY kind, name, part ORDER BY off)"
            + "   AS nxt FROM acc)"
            + " SELECT kind, name, part, (arrived_ms // 3600000) * 3600000 AS hour_ms,"
            + "  min(off) AS first_offset, max(off) AS last_offset,"
            + "  count(*) FILTER (WHERE fate = 1) AS raw,"
            + "  count(*) FILTER (WHERE fate = 3) AS quarantined,"
            + "  count(*) FILTER (WHERE fate = 2) AS duplicate,"
            + "  coalesce(sum(nxt - off - 1) FILTER (WHERE nxt > off + 1), 0) AS lost,"
            + "  string_agg(CASE WHEN nxt = off + 2 THEN CAST(off + 1 AS VARCHAR)"
            + "    WHEN nxt > off + 2 THEN CAST(off + 1 AS VARCHAR) || '-' || CAST(nxt - 1 AS VARCHAR)"
            + "    END, ',' ORDER BY off) AS lost_offsets"
            + " FROM nexts GROUP BY kind, name, part, hour_ms ORDER BY kind, name, part, hour_ms";
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, fromMs);
      st.setLong(2, toMs);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          lines.add(new Line(rs));
        }
      }
    }
    return lines;
  }

  /**
   * Each source offset once, by its best fate (raw before duplicate before quarantined: a
   * quarantined record a quarantine replay wrote raw later is raw), with its arrival and, when raw,
   * its event time; bound to the arrival range by two parameters.
   */
  private static final String ACCOUNTED =
      " SELECT kind, name, part, off, min(fate) AS fate, min(arrived_ms) AS arrived_ms,"
          + " min(occurred_ms) FILTER (WHERE fate = 1) AS occurred_ms FROM (PARTS)"
          + " WHERE arrived_ms >= ? AND arrived_ms < ? GROUP BY kind, name, part, off";

  /** The raw store's, the duplicate ledger's and the quarantine's offsets, as SQL selects. */
  private static List<String> sourceParts(Scope scope) {
    List<String> parts = new ArrayList<>();
    String raw = parquetGlob(scope.rawStore);
    if (raw != null) {
      parts.add(
          "SELECT source_kind AS kind, source_name AS name, source_partition AS part,"
              + " source_offset AS off, 1 AS fate, epoch_ms(received_at) AS arrived_ms,"
              + " epoch_ms(occurred_at) AS occurred_ms FROM read_parquet("
              + raw
              + ")");
    }
    String ledger = parquetGlob(GraphConfig.duplicateLedgerOf(scope.rawStore));
    if (ledger != null) {
      parts.add(
          "SELECT source_kind, source_name, source_partition, source_offset, 2,"
              + " epoch_ms(received_at), CAST(NULL AS BIGINT) FROM read_parquet("
              + ledger
              + ")");
    }
    if (hasFiles(scope.quarantineStore, ".jsonl")) {
      parts.add(
          "SELECT struct_extract(source, 'kind'), struct_extract(source, 'name'),"
              + " CAST(struct_extract(source, 'partition') AS INTEGER),"
              + " CAST(struct_extract(source, 'offset') AS BIGINT), 3,"
              + " epoch_ms(CAST(received_at AS TIMESTAMPTZ)), CAST(NULL AS BIGINT)"
              + " FROM read_json("
              + quote(scope.quarantineStore + "/**/*.jsonl")
              + ", columns = {source: 'STRUCT(kind VARCHAR, name VARCHAR, partition BIGINT,"
              + " \"offset\" BIGINT)', received_at: 'VARCHAR'}, format = 'newline_delimited')");
    }
    return parts;
  }

  /**
   * {@code pipeline_completeness} of the scope's arrival dates, recomputed from the per-offset
   * account: per arrival hour and day, received = every accounted offset once, quarantined,
   * duplicate, accepted = raw_written (offsets in the raw store), late (raw offsets that arrived
   * more than {@code allowedLatenessMillis} after their event-time minute ended). What a stream
   * that started without the previous job's state cannot count itself: it keeps the previous job's
   * fuller rows of the hours it could not see whole, and neither job saw those hours whole.
   */
  public static List<CuratedRow> completeness(Scope scope, long allowedLatenessMillis)
      throws SQLException {
    long fromMs = scope.from.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    long toMs = scope.to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    List<String> parts = sourceParts(scope);
    List<CuratedRow> rows = new ArrayList<>();
    if (parts.isEmpty()) {
      return rows;
    }
    for (Granularity g : new Granularity[] {Granularity.HOUR, Granularity.DAY}) {
      long size = g.size().getMillis();
      String sql =
          "WITH acc AS ("
              + ACCOUNTED.replace("PARTS", String.join(" UNION ALL ", parts))
              + ") SELECT (arrived_ms // "
              + size
              + ") * "
              + size
              + " AS w, count(*), count(*) FILTER (WHERE fate = 3),"
              + " count(*) FILTER (WHERE fate = 2), count(*) FILTER (WHERE fate = 1),"
              + " count(*) FILTER (WHERE fate = 1 AND arrived_ms > (occurred_ms // 60000) * 60000"
              + " + 60000 + ?) FROM acc GROUP BY w ORDER BY w";
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          PreparedStatement st = c.prepareStatement(sql)) {
        st.setLong(1, fromMs);
        st.setLong(2, toMs);
        st.setLong(3, allowedLatenessMillis);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            long w = rs.getLong(1);
            long[] byStage = {
              rs.getLong(2),
              rs.getLong(3),
              rs.getLong(4),
              rs.getLong(5),
              rs.getLong(5),
              rs.getLong(6)
            };
            Stage[] stages = {
              Stage.RECEIVED,
              Stage.QUARANTINED,
              Stage.DUPLICATE,
              Stage.ACCEPTED,
              Stage.RAW_WRITTEN,
              Stage.LATE
            };
            for (int i = 0; i < stages.length; i++) {
              rows.add(CuratedRow.completeness(w, g, stages[i].code(), byStage[i]));
            }
          }
        }
      }
    }
    return rows;
  }

  /**
   * Writes {@code rows} over the warehouse's {@code pipeline_completeness} under {@code
   * generation}, which must be newer than every generation that wrote those windows (the audit's
   * start): for windows the stream has closed, so that no later pane of an older generation is
   * refused.
   */
  public static void rewriteCompleteness(
      String warehouseUrl, List<CuratedRow> rows, long generation) throws SQLException {
    List<VersionedRow> versioned = new ArrayList<>();
    for (CuratedRow r : rows) {
      versioned.add(VersionedRow.of(r, generation, WriteCurated.paneVersion(r)));
    }
    try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
      w.curated().ensureTables();
      w.curated().upsertVersioned(versioned);
    }
  }

  /**
   * Stores the report in the warehouse's {@code pipeline_audit} (created if missing): one row per
   * line, under one audit id (its start in epoch milliseconds), and one summary row per audit even
   * when the range held nothing, so the exporter always has the last audit's total.
   */
  public static void store(String warehouseUrl, Scope scope, long auditId, List<Line> lines)
      throws SQLException {
    store(() -> DriverManager.getConnection(warehouseUrl), false, scope, auditId, lines);
  }

  /**
   * {@link #store} through {@code warehouse}; where {@code tableDeployed} (Snowflake, whose DDL
   * operations apply from the repository: the table is in {@code 02_curated_tables.sql}) the table
   * is not created here.
   */
  static void store(
      WarehouseConnections.Source warehouse,
      boolean tableDeployed,
      Scope scope,
      long auditId,
      List<Line> lines)
      throws SQLException {
    try (Connection c = warehouse.open()) {
      c.setAutoCommit(false);
      if (!tableDeployed) {
        createAuditTable(c);
      }
      insertReport(c, scope, auditId, lines);
      c.commit();
    }
  }

  private static void createAuditTable(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS pipeline_audit (audit_id BIGINT NOT NULL,"
              + " from_date DATE NOT NULL, to_date DATE NOT NULL, source_kind VARCHAR NOT NULL,"
              + " source_name VARCHAR NOT NULL, source_partition INTEGER NOT NULL,"
              + " hour_start TIMESTAMP, first_offset BIGINT, last_offset BIGINT,"
              + " raw_written BIGINT, quarantined BIGINT, duplicate BIGINT, lost BIGINT NOT NULL,"
              + " lost_offsets VARCHAR)");
    }
  }

  private static void insertReport(Connection c, Scope scope, long auditId, List<Line> lines)
      throws SQLException {
    String insert =
        "INSERT INTO pipeline_audit VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?, ?, ?,"
            + " CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement st = c.prepareStatement(insert)) {
      // The summary row: source '*', no hour; lost = the audit's total.
      long total = lines.stream().mapToLong(l -> l.lost).sum();
      bind(st, auditId, scope, "*", "*", -1, null, 0, 0, 0, 0, 0, total, "");
      st.addBatch();
      for (Line l : lines) {
        bind(
            st,
            auditId,
            scope,
            l.kind,
            l.name,
            l.partition,
            l.hour,
            l.firstOffset,
            l.lastOffset,
            l.raw,
            l.quarantined,
            l.duplicate,
            l.lost,
            l.lostOffsets);
        st.addBatch();
      }
      st.executeBatch();
    }
  }

  private static void bind(
      PreparedStatement st,
      long auditId,
      Scope scope,
      String kind,
      String name,
      int partition,
      Instant hour,
      long first,
      long last,
      long raw,
      long quarantined,
      long duplicate,
      long lost,
      String lostOffsets)
      throws SQLException {
    st.setLong(1, auditId);
    st.setString(2, scope.from.toString());
    st.setString(3, scope.to.toString());
    st.setString(4, kind);
    st.setString(5, name);
    st.setInt(6, partition);
    st.setString(7, hour == null ? null : hour.toString().replace('T', ' ').replace("Z", ""));
    st.setLong(8, first);
    st.setLong(9, last);
    st.setLong(10, raw);
    st.setLong(11, quarantined);
    st.setLong(12, duplicate);
    st.setLong(13, lost);
    st.setString(14, lostOffsets);
  }

  private static String parquetGlob(String root) {
    return hasFiles(root, ".parquet") ? quote(root + "/**/*.parquet") : null;
  }

  private static boolean hasFiles(String root, String suffix) {
    Path dir = Paths.get(root);
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var files = Files.walk(dir)) {
      return files.anyMatch(p -> p.toString().endsWith(suffix));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** The command line; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Scope scope;
    CollabPipelineOptions o;
    boolean rewrite = false;
    long allowedLatenessMillis;
    try {
      List<String> rest = new ArrayList<>();
      for (String a : args) {
        if (a.equals("--" + REWRITE_OPTION) || a.equals("--" + REWRITE_OPTION + "=true")) {
          rewrite = true;
        } else if (a.equals("--" + REWRITE_OPTION + "=false")) {
          rewrite = false;
        } else if (a.startsWith("--" + REWRITE_OPTION + "=")) {
          throw new UsageException(
              "--" + REWRITE_OPTION + " takes true or false, got '" + a.substring(22) + "'");
        } else {
          rest.add(a);
        }
      }
      o = CommandLine.parseOptions(rest.toArray(new String[0]));
      scope = Scope.fromOptions(o);
      // Checks the S3 options (one line naming the option at fault) when a store is s3://.
      S3Setup.configure(o, scope.rawStore, scope.quarantineStore);
      if (o.getProgressSeconds() == null || o.getProgressSeconds() < 0) {
        throw new UsageException("--progressSeconds must be 0 (off) or more");
      }
      allowedLatenessMillis =
          Durations.parse("allowedLateness", o.getAllowedLateness()).getMillis();
      // Checks the Snowflake connection options now (one line naming what is missing).
      WarehouseConnections.of(scope.warehouseUrl, o, false);
      if (rewrite && WarehouseConnections.isSnowflake(scope.warehouseUrl)) {
        throw new UsageException(
            "--"
                + REWRITE_OPTION
                + " is not built for Snowflake: its pipeline_completeness is written by the job's"
                + " MERGE only; the audit's report is stored there, the rewrite is not");
      }
    } catch (UsageException | IllegalArgumentException e) {
      err.println("collab-audit: " + CommandLine.firstLine(e.getMessage()));
      return EXIT_USAGE;
    }
    S3StoreSnapshot snapshot = null;
    try {
      long auditId = System.currentTimeMillis();
      Scope local = scope;
      if (S3Setup.isS3(scope.rawStore) || S3Setup.isS3(scope.quarantineStore)) {
        snapshot =
            S3StoreSnapshot.open(
                o, err, o.getProgressSeconds(), scope.fromMillis(), scope.toMillis());
        local = snapshot.localScope(scope);
      }
      List<Line> lines = audit(local);
      long lost = 0;
      out.println(
          "collab-audit: arrival dates "
              + scope.from
              + " to "
              + scope.to
              + "; raw store "
              + scope.rawStore
              + ", duplicate ledger "
              + GraphConfig.duplicateLedgerOf(scope.rawStore)
              + ", quarantine "
              + scope.quarantineStore);
      for (Line l : lines) {
        out.println("  " + (l.lost > 0 ? "LOST " : "OK   ") + l);
        lost += l.lost;
      }
      store(
          WarehouseConnections.of(scope.warehouseUrl, o, false),
          WarehouseConnections.isSnowflake(scope.warehouseUrl),
          scope,
          auditId,
          lines);
      out.println(
          (lines.isEmpty()
                  // Not "OK": an account of nothing says nothing, and a wrong --dataDir or
                  // store gives exactly this.
                  ? "collab-audit: nothing to audit: no record of the raw store, the duplicate"
                      + " ledger or the quarantine arrived on these dates (check --dataDir,"
                      + " --rawStore, --quarantineStore and the dates)"
                  : lost == 0
                      ? "collab-audit: OK, every offset accounted for"
                      : "collab-audit: LOST " + lost + " offsets")
              + " ("
              + lines.size()
              + " partition-hours; report "
              + auditId
              + " in pipeline_audit)");
      if (rewrite) {
        if (lost > 0) {
          err.println(
              "collab-audit: pipeline_completeness not rewritten: the account of these dates has"
                  + " lost offsets; find them first (the report above)");
          return EXIT_LOST;
        }
        List<CuratedRow> rows = completeness(local, allowedLatenessMillis);
        rewriteCompleteness(scope.warehouseUrl, rows, auditId);
        out.println(
            "collab-audit: rewrote pipeline_completeness of "
                + rows.stream().filter(r -> r.getString("granularity").equals("hour")).count() / 6
                + " arrival hours from the account (generation "
                + auditId
                + ")");
      }
      return lost == 0 ? EXIT_OK : EXIT_LOST;
    } catch (SdkException e) {
      err.println(
          "collab-audit: S3 failed"
              + (o.as(S3Options.class).getEndpoint() == null
                  ? ""
                  : " (endpoint " + o.as(S3Options.class).getEndpoint() + ")")
              + ": "
              + CommandLine.firstLine(e.getMessage()));
      return EXIT_FAILED;
    } catch (Exception e) {
      err.println("collab-audit: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      return EXIT_FAILED;
    } finally {
      if (snapshot != null) {
        snapshot.close();
      }
    }
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }
}
