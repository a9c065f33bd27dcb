package io.collabpipeline.tools.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseConnections;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.erasure.ErasureLedger.Request;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.MinimizedEvents;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKey;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code bin/collab-erasure}: erases users within 72 hours of their request (issue 10, point 4).
 * Run daily; every time decision uses {@code --now} (default the wall clock).
 *
 * <ol>
 *   <li>Intake: the raw store's {@code user.erasure_requested} events of the event dates within the
 *       raw store's retention ({@value #RAW_RETENTION_DAYS} days before {@code --now}, to the day
 *       after: a late event lands in an old partition, so every partition the store still holds is
 *       read, the {@code event_type}, {@code event_id} and {@code payload_json} columns only) that
 *       are not in the ledger yet are filed, and so is {@code --request=<user gid>} (an operator's
 *       request; the gid is never printed nor stored).
 *   <li>Every incomplete request: the user's rows (by pseudonym) are deleted from every {@linkplain
 *       UserLevelTables user-level table} the warehouse holds.
 *   <li>The quarantine: records of a pending request's user or of any user the key store holds a
 *       tombstone of are purged, and files past {@code --quarantineRetention} are deleted.
 *   <li>The user's pseudonym secret is shredded: the raw history's pseudonyms of the user can no
 *       longer be linked to the user id, and the pipeline maps the id to {@link
 *       Pseudonymizer#ERASED} from then on.
 *   <li>The request is marked complete and its key index forgotten.
 * </ol>
 *
 * <p>Prints what was removed per table and target, and exits 0, or 3 when a request is past its due
 * time and still incomplete (2 for a usage mistake, 1 when the run fails). Each step is idempotent,
 * so a run that fails part-way is finished by the next one, and a second run removes nothing.
 */
public final class CollabErasure {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_OVERDUE = 3;

  /** The event that files a request. */
  public static final String ERASURE_EVENT = "user.erasure_requested";

  /** The raw store's retention: how far back the intake reads. */
  public static final int RAW_RETENTION_DAYS = 180;

  /** Where the Snowflake statements are (the job does not run on Snowflake). */
  public static final String SNOWFLAKE_SQL =
      "pipelines/src/main/resources/io/collabpipeline/snowflake/erasure.sql";

  static final String OPT_USER_KEY_STORE = "userKeyStore";
  static final String OPT_NOW = "now";
  static final String OPT_REQUEST = "request";
  static final String OPT_RETENTION = "quarantineRetention";
  static final String OPT_DRY_RUN = "dryRun";
  static final String DEFAULT_RETENTION = "7d";

  private static final Pattern USER_GID = Pattern.compile("[0-9]{1,20}");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A run's inputs. */
  static final class Settings {
    String rawStore;
    String quarantineStore;
    String warehouseUrl;
    String userKeyStore;
    KeyReference key;
    Instant now;
    String requestGid;
    Duration retention;
    boolean dryRun;
  }

  private CollabErasure() {}

  /** The command line; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Settings s;
    try {
      s = parse(args);
    } catch (UsageException | IllegalArgumentException e) {
      err.println("collab-erasure: " + CommandLine.firstLine(e.getMessage()));
      return EXIT_USAGE;
    }
    try {
      return erase(s, out, err);
    } catch (Exception e) {
      err.println("collab-erasure: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      return EXIT_FAILED;
    }
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static Settings parse(String[] args) {
    Map<String, String> own = new LinkedHashMap<>();
    List<String> rest = new ArrayList<>();
    for (String a : args) {
      String name = a.startsWith("--") ? a.substring(2).split("=", 2)[0] : "";
      if (List.of(OPT_USER_KEY_STORE, OPT_NOW, OPT_REQUEST, OPT_RETENTION, OPT_DRY_RUN)
          .contains(name)) {
        int eq = a.indexOf('=');
        own.put(name, eq < 0 ? (name.equals(OPT_DRY_RUN) ? "true" : "") : a.substring(eq + 1));
      } else {
        rest.add(a);
      }
    }
    CollabPipelineOptions o = CommandLine.parseOptions(rest.toArray(new String[0]));
    Settings s = new Settings();
    String dataDir = Paths.get(o.getDataDir()).toAbsolutePath().toString();
    s.rawStore = o.getRawStore() != null ? o.getRawStore() : dataDir + "/raw";
    s.quarantineStore =
        o.getQuarantineStore() != null ? o.getQuarantineStore() : dataDir + "/quarantine";
    s.warehouseUrl =
        o.getWarehouseUrl() != null
            ? o.getWarehouseUrl()
            : "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    if (WarehouseConnections.isSnowflake(s.warehouseUrl)) {
      throw new UsageException(
          "the erasure job does not run on Snowflake: apply the statements of "
              + SNOWFLAKE_SQL
              + " (README, Erasure) there, and run this job on the raw store and the key store");
    }
    Warehouses.checkSupported(s.warehouseUrl);

    s.userKeyStore = own.get(OPT_USER_KEY_STORE);
    if (s.userKeyStore == null || s.userKeyStore.isBlank()) {
      throw new UsageException(
          "--userKeyStore is required: the store the pipeline pseudonymizes users with (a"
              + " directory, or jdbc:postgresql:...), or none if it has none");
    }

    s.dryRun = bool(OPT_DRY_RUN, own.getOrDefault(OPT_DRY_RUN, "false"));
    String now = own.get(OPT_NOW);
    try {
      s.now = now == null || now.isEmpty() ? Instant.now() : Instant.parse(now);
    } catch (DateTimeParseException e) {
      throw new UsageException(
          "--now=" + now + " is not an ISO-8601 UTC instant, e.g. --now=2026-11-05T06:00:00Z");
    }
    s.retention =
        Duration.ofMillis(
            Durations.parse(OPT_RETENTION, own.getOrDefault(OPT_RETENTION, DEFAULT_RETENTION))
                .getMillis());
    if (s.retention.isZero()) {
      throw new UsageException(
          "--quarantineRetention must be longer than 0, e.g. 7d (it deletes older files)");
    }
    s.requestGid = own.get(OPT_REQUEST);
    if (s.requestGid != null && !USER_GID.matcher(s.requestGid).matches()) {
      // The value is not echoed: it may be a user id in another form.
      throw new UsageException("--request takes a user gid (1 to 20 digits)");
    }

    s.key = KeyReference.parse(o.getPseudonymKey());
    boolean local =
        JobConfig.notTheLocalDefault(null, s.rawStore, s.quarantineStore, s.warehouseUrl) == null
            && !s.userKeyStore.trim().startsWith("jdbc:postgresql:");
    if (s.key.isInsecure() && !local && !Boolean.TRUE.equals(o.getAllowDevKey())) {
      throw new UsageException(
          "--pseudonymKey=dev (the public development key) with a shared store or warehouse: give"
              + " the pipeline's key by reference (--pseudonymKey=env:VAR or file:/path), or"
              + " --allowDevKey=true for a throwaway run");
    }
    S3Setup.configure(o, s.rawStore, s.quarantineStore);
    return s;
  }

  private static boolean bool(String option, String value) {
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw new UsageException("--" + option + "=" + value + " must be true or false");
  }

  static int erase(Settings s, PrintStream out, PrintStream err) throws Exception {
    Pseudonymizer global = new Pseudonymizer(s.key.resolve());
    String verb = s.dryRun ? "would be removed" : "removed";
    try (UserKeyStore store = UserKeyStores.open(s.userKeyStore);
        Connection c = DriverManager.getConnection(s.warehouseUrl)) {
      c.setAutoCommit(true);
      ErasureLedger ledger = new ErasureLedger(c);
      LocalDate today = LocalDate.ofInstant(s.now, ZoneOffset.UTC);
      ReplayScope dates = ReplayScope.of(today.minusDays(RAW_RETENTION_DAYS), today.plusDays(1));
      out.println(
          "collab-erasure: at "
              + s.now
              + "; raw store "
              + s.rawStore
              + " (event dates "
              + dates.from()
              + " to "
              + dates.to()
              + "), quarantine "
              + s.quarantineStore
              + ", warehouse "
              + Warehouses.redact(s.warehouseUrl)
              + ", key store "
              + (store == null ? "none" : store.describe())
              + (s.dryRun ? "; DRY RUN: nothing is changed" : ""));
      if (store == null) {
        out.println(
            "collab-erasure: crypto-shredding skipped (--userKeyStore=none): pseudonyms are"
                + " global-key hashes that any holder of the key recomputes from a user id, so the"
                + " raw history stays linkable; rows, quarantine records and the ledger are still"
                + " handled");
      }
      if (!s.dryRun) {
        ledger.ensureTables();
      }
      List<Request> all = s.dryRun && !ledger.exists() ? new ArrayList<>() : ledger.all();
      Set<String> known = new HashSet<>();
      List<Request> pending = new ArrayList<>();
      for (Request r : all) {
        known.add(r.requestId);
        if (r.pending()) {
          pending.add(r);
        }
      }

      // (1) intake
      int fromEvents = 0;
      int ignored = 0;
      Map<String, String> events = RawStoreIO.payloadsOfType(s.rawStore, dates, ERASURE_EVENT);
      for (Map.Entry<String, String> e : events.entrySet()) {
        if (known.contains(e.getKey())) {
          continue;
        }
        Request r = fromEvent(e.getKey(), e.getValue(), store, s.now);
        if (r == null) {
          ignored++;
          continue;
        }
        if (!s.dryRun) {
          ledger.file(r);
        }
        known.add(r.requestId);
        pending.add(r);
        fromEvents++;
      }
      int byOperator = 0;
      if (s.requestGid != null) {
        String index = global.index(s.requestGid);
        boolean filed = pending.stream().anyMatch(r -> index.equals(r.keyIndex));
        if (filed) {
          out.println("collab-erasure: the operator's request is already filed and pending");
        } else {
          Request r = fromOperator(index, store, s.now);
          if (!s.dryRun) {
            ledger.file(r);
          }
          pending.add(r);
          byOperator++;
        }
      }
      out.println(
          "collab-erasure: filed "
              + (fromEvents + byOperator)
              + " request(s) ("
              + fromEvents
              + " from "
              + ERASURE_EVENT
              + " events, "
              + byOperator
              + " by operator"
              + (ignored > 0 ? "; " + ignored + " events without a pseudonymized user ignored" : "")
              + "); "
              + pending.size()
              + " pending");

      // (2) user-level tables
      List<UserLevelTables.Found> tables = UserLevelTables.find(c);
      Map<String, Long> removedPerTable = new LinkedHashMap<>();
      for (UserLevelTables.Found t : tables) {
        removedPerTable.put(t.label(), 0L);
      }
      Map<String, Map<String, Long>> removedPerRequest = new LinkedHashMap<>();
      for (Request r : pending) {
        Map<String, Long> mine = new LinkedHashMap<>();
        removedPerRequest.put(r.requestId, mine);
        if (r.pseudonym == null) {
          continue;
        }
        for (UserLevelTables.Found t : tables) {
          long n = UserLevelTables.remove(c, t, r.pseudonym, s.dryRun);
          mine.put(t.label(), n);
          removedPerTable.merge(t.label(), n, Long::sum);
        }
      }
      long total = 0;
      for (Map.Entry<String, Long> e : removedPerTable.entrySet()) {
        out.println("  table " + e.getKey() + ": " + e.getValue() + " rows " + verb);
        total += e.getValue();
      }
      for (String name : UserLevelTables.TABLES.keySet()) {
        if (tables.stream().noneMatch(t -> t.table.equalsIgnoreCase(name))) {
          out.println("  table " + name + ": not in the warehouse, nothing to remove");
        }
      }

      // (3) quarantine
      Set<String> erased = new HashSet<>();
      for (Request r : pending) {
        if (r.keyIndex != null) {
          erased.add(r.keyIndex);
        }
      }
      if (store != null) {
        for (UserKey k : store.entries()) {
          if (k.isErased()) {
            erased.add(k.index());
          }
        }
      }
      QuarantinePurge.Result q =
          new QuarantinePurge(global, erased, s.dryRun).run(s.quarantineStore, s.now, s.retention);
      out.println(
          "  quarantine records of erased users: "
              + q.recordsPurged
              + " "
              + verb
              + " ("
              + q.filesRewritten
              + " files rewritten)");
      out.println(
          "  quarantine files past the "
              + s.retention.toDays()
              + "d retention: "
              + q.filesExpired
              + " "
              + (s.dryRun ? "would be deleted" : "deleted")
              + " ("
              + q.recordsExpired
              + " records)");
      total += q.recordsPurged + q.recordsExpired;

      // (4) shred
      long shredded = 0;
      Map<String, Long> shreddedPerRequest = new LinkedHashMap<>();
      if (store != null) {
        for (Request r : pending) {
          if (r.keyIndex == null) {
            continue;
          }
          boolean destroyed =
              s.dryRun
                  ? store.get(r.keyIndex).map(k -> !k.isErased()).orElse(false)
                  : store.shred(r.keyIndex, s.now);
          shreddedPerRequest.put(r.requestId, destroyed ? 1L : 0L);
          shredded += destroyed ? 1 : 0;
        }
      }
      out.println(
          "  pseudonym keys shredded: "
              + shredded
              + (s.dryRun ? " (would be)" : "")
              + (store == null ? " (no key store)" : ""));

      // (5) complete
      List<String> overdue = new ArrayList<>();
      List<String> late = new ArrayList<>();
      for (Request r : pending) {
        if (s.dryRun) {
          if (r.dueAt.isBefore(s.now)) {
            overdue.add(r.requestId + " (due " + r.dueAt + ")");
          }
          continue;
        }
        for (Map.Entry<String, Long> e : removedPerRequest.get(r.requestId).entrySet()) {
          ledger.recordRemoval(r.requestId, s.now, "table " + e.getKey(), e.getValue());
        }
        Long keys = shreddedPerRequest.get(r.requestId);
        if (keys != null) {
          ledger.recordRemoval(r.requestId, s.now, "pseudonym key", keys);
        }
        ledger.complete(r.requestId, s.now);
        if (r.dueAt.isBefore(s.now)) {
          late.add(r.requestId + " (due " + r.dueAt + ")");
        }
      }
      if (!s.dryRun) {
        ledger.recordRemoval(ErasureLedger.RUN_WIDE, s.now, "quarantine records", q.recordsPurged);
        ledger.recordRemoval(
            ErasureLedger.RUN_WIDE, s.now, "quarantine files expired", q.filesExpired);
      }
      for (String l : late) {
        err.println("collab-erasure: WARNING request " + l + " was completed after its due time");
      }
      out.println(
          "collab-erasure: "
              + (s.dryRun ? "would complete " : "completed ")
              + pending.size()
              + " request(s); "
              + total
              + " rows and records "
              + verb
              + ", "
              + shredded
              + " keys shredded");
      if (!overdue.isEmpty()) {
        err.println(
            "collab-erasure: OVERDUE: "
                + overdue.size()
                + " request(s) past their due time and not complete: "
                + String.join(", ", overdue));
        return EXIT_OVERDUE;
      }
      return EXIT_OK;
    }
  }

  /**
   * The request of one {@value #ERASURE_EVENT} event; null if its payload names no pseudonymized
   * user (an already erased one, or a payload the pipeline did not minimize).
   */
  static Request fromEvent(String eventId, String payloadJson, UserKeyStore store, Instant now)
      throws java.io.IOException {
    JsonNode p = JSON.readTree(payloadJson);
    String pseudonym = p.path("user_gid").asText("");
    if (!MinimizedEvents.isPseudonym(pseudonym) || Pseudonymizer.ERASED.equals(pseudonym)) {
      return null;
    }
    Instant requestedAt;
    try {
      requestedAt = OffsetDateTime.parse(p.path("requested_at").asText()).toInstant();
    } catch (DateTimeParseException e) {
      requestedAt = now; // validated by the pipeline; never later than the filing
    }
    // Written under a per-user secret: the live entry of that pseudonym. Otherwise the pseudonym
    // is a global-key hash (written without a key store), which is the user's index itself.
    String keyIndex =
        store == null
            ? pseudonym
            : store.findByPseudonym(pseudonym).map(UserKey::index).orElse(pseudonym);
    return new Request(eventId, pseudonym, keyIndex, "event", requestedAt, now, null);
  }

  /**
   * An operator's request for the user of global-key index {@code index}: the pseudonym the data
   * holds is the live entry's, or the index itself when the user has no entry (data written without
   * a key store); none when the user is erased already. The request id is random: one derived from
   * the index would keep the link the completed request drops.
   */
  static Request fromOperator(String index, UserKeyStore store, Instant now)
      throws java.io.IOException {
    Optional<UserKey> entry = store == null ? Optional.empty() : store.get(index);
    String pseudonym =
        entry.isEmpty() ? index : entry.get().isErased() ? null : entry.get().pseudonym();
    return new Request(
        "op-" + UUID.randomUUID().toString().toLowerCase(Locale.ROOT),
        pseudonym,
        index,
        "operator",
        now,
        now,
        null);
  }
}
