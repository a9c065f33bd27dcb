package io.collabpipeline.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The curated tables computed straight from the generator's deliveries, with none of the pipeline's
 * code: plain Jackson parsing, dedup by event id keeping the first arrival, the lateness rule, and
 * window arithmetic. The generator's own labels (original, duplicate, malformed) are the ground
 * truth of what each delivery is.
 */
public final class ExpectedTables {
  static final Set<String> EDITOR_TYPES =
      Set.of(
          "task.created",
          "task.updated",
          "task.completed",
          "comment.added",
          "comment.edited",
          "project.member_added",
          "project.member_removed");

  public final Set<CuratedRow> rows = new HashSet<>();
  public final Map<String, Long> stageTotals = new TreeMap<>();
  public final Map<String, Long> quarantineReasons = new TreeMap<>();
  public final Set<String> acceptedEventIds = new HashSet<>();

  /** One delivery as the pipeline saw it: what the generator made, and when it arrived. */
  static final class Observed {
    final Delivery delivery;
    final long arrivalMillis;

    Observed(Delivery delivery, long arrivalMillis) {
      this.delivery = delivery;
      this.arrivalMillis = arrivalMillis;
    }
  }

  /**
   * The tables for a generated workload whose deliveries arrive at the generator's own arrival
   * times.
   */
  public static ExpectedTables compute(WorkloadSpec spec, long allowedLatenessMillis)
      throws IOException {
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    List<Observed> observed = new ArrayList<>();
    for (long i = 0; i < spec.deliveries(); i++) {
      Delivery d = generator.delivery(i);
      observed.add(new Observed(d, d.arrivalMillis()));
    }
    return compute(observed, allowedLatenessMillis);
  }

  /**
   * The tables for deliveries that arrived at the given times (e.g. a Kafka record's log-append
   * time), in the order the list gives: of several copies of an event id, the first in the list is
   * the accepted one, so sort by arrival first.
   */
  static ExpectedTables compute(List<Observed> observed, long allowedLatenessMillis)
      throws IOException {
    ExpectedTables t = new ExpectedTables();
    ObjectMapper mapper = new ObjectMapper();
    Map<String, Long> completeness = new TreeMap<>(); // "granularity|start|stage" -> count
    // "granularity|start|workspace" -> editors, tasks ...; "granularity|start|workspace|type" ->
    // trigger -> count
    Map<String, Set<String>> editors = new HashMap<>();
    Map<String, long[]> velocity = new HashMap<>();
    Map<String, Set<String>> touched = new HashMap<>();
    Map<String, Map<String, Long>> fanout = new HashMap<>();

    for (Observed o : observed) {
      Delivery d = o.delivery;
      long arrival = o.arrivalMillis;
      String stage;
      JsonNode event = null;
      switch (d.kind()) {
        case MALFORMED:
          stage = "quarantined";
          t.quarantineReasons.merge(d.expectedReason().code(), 1L, Long::sum);
          break;
        default:
          event = mapper.readTree(d.bytes());
          String id = event.get("event_id").asText();
          if (t.acceptedEventIds.add(id)) {
            stage = "accepted";
          } else {
            stage = "duplicate";
            event = null;
          }
      }
      boolean late = false;
      if (event != null) {
        long occurredAt =
            OffsetDateTime.parse(event.get("occurred_at").asText()).toInstant().toEpochMilli();
        long minuteEnd =
            Granularity.MINUTE.windowStart(occurredAt) + Granularity.MINUTE.size().getMillis();
        late = arrival > minuteEnd + allowedLatenessMillis;
      }
      String[] stages =
          !stage.equals("accepted")
              ? new String[] {"received", stage}
              : late
                  ? new String[] {"received", "accepted", "raw_written", "late"}
                  : new String[] {"received", "accepted", "raw_written"};
      for (String s : stages) {
        t.stageTotals.merge(s, 1L, Long::sum);
        for (Granularity g : new Granularity[] {Granularity.HOUR, Granularity.DAY}) {
          completeness.merge(g.code() + "|" + g.windowStart(arrival) + "|" + s, 1L, Long::sum);
        }
      }
      if (event == null) {
        continue;
      }
      String type = event.get("event_type").asText();
      long occurred =
          OffsetDateTime.parse(event.get("occurred_at").asText()).toInstant().toEpochMilli();
      String workspace = event.get("workspace_gid").asText();
      String actor = event.get("actor").get("user_gid").asText();
      JsonNode payload = event.get("payload");
      for (Granularity g : Granularity.values()) {
        long start = g.windowStart(occurred);
        if (arrival > start + g.size().getMillis() + allowedLatenessMillis) {
          continue; // too late for this granularity, by the data
        }
        String key = g.code() + "|" + start + "|" + workspace;
        if (EDITOR_TYPES.contains(type)) {
          editors.computeIfAbsent(key, k -> new HashSet<>()).add(actor);
        }
        if (type.startsWith("task.")) {
          long[] v = velocity.computeIfAbsent(key, k -> new long[2]);
          v[0]++;
          if (type.equals("task.completed")) {
            v[1]++;
          }
          touched.computeIfAbsent(key, k -> new HashSet<>()).add(payload.get("task_gid").asText());
        }
        if (type.equals("notification.sent")) {
          fanout
              .computeIfAbsent(
                  key + "|" + payload.get("trigger_event_type").asText(), k -> new HashMap<>())
              .merge(payload.get("trigger_event_id").asText(), 1L, Long::sum);
        }
      }
    }

    for (Map.Entry<String, Long> e : completeness.entrySet()) {
      String[] k = e.getKey().split("\\|");
      t.rows.add(
          CuratedRow.completeness(
              Long.parseLong(k[1]), Granularity.fromCode(k[0]), k[2], e.getValue()));
    }
    for (Map.Entry<String, Set<String>> e : editors.entrySet()) {
      String[] k = e.getKey().split("\\|");
      t.rows.add(
          CuratedRow.activeEditors(
              Long.parseLong(k[1]), Granularity.fromCode(k[0]), k[2], e.getValue().size()));
    }
    for (Map.Entry<String, long[]> e : velocity.entrySet()) {
      String[] k = e.getKey().split("\\|");
      t.rows.add(
          CuratedRow.taskUpdateVelocity(
              Long.parseLong(k[1]),
              Granularity.fromCode(k[0]),
              k[2],
              e.getValue()[0],
              touched.get(e.getKey()).size(),
              e.getValue()[1]));
    }
    for (Map.Entry<String, Map<String, Long>> e : fanout.entrySet()) {
      String[] k = e.getKey().split("\\|");
      long notifications = 0;
      long max = 0;
      for (long n : e.getValue().values()) {
        notifications += n;
        max = Math.max(max, n);
      }
      t.rows.add(
          CuratedRow.notificationFanout(
              Long.parseLong(k[1]),
              Granularity.fromCode(k[0]),
              k[2],
              k[3],
              e.getValue().size(),
              notifications,
              max));
    }
    return t;
  }
}
