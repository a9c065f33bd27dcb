package io.collabpipeline.it.s3;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Input for the S3 tests, and the object names the file sinks must give it, computed here from the
 * documented layout ({@code dt=YYYY-MM-DD/hr=HH/<prefix>-<arrival
 * minute>-g<generation>-p<pane>-<shard>-of-<n><suffix>}) rather than by the sinks' own code.
 */
final class S3TestData {
  /** 2026-11-22T01:00:00Z */
  static final long T0 = 1_795_309_200_000L;

  private static final DateTimeFormatter PARTITION =
      DateTimeFormatter.ofPattern("'dt='yyyy-MM-dd'/hr='HH").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmm'00Z'").withZone(ZoneOffset.UTC);

  private S3TestData() {}

  /**
   * {@code n} accepted events whose occurred_at spreads over four hours on two dates (some
   * occurring a day before they arrive), arriving over about ten minutes.
   */
  static List<CollabEvent> events(int n) {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = String.format("evt_s3_%06d", i);
      long received = T0 + 2_000L * i + 137;
      long occurred =
          i % 7 == 0
              ? received - 86_400_000L - 3_600_000L * (i % 3)
              : received - 3_600_000L * (i % 4);
      boolean notification = i % 3 == 0;
      events.add(
          CollabEvent.builder()
              .setEventId(id)
              .setEventType(notification ? "notification.sent" : "task.updated")
              .setSchemaVersion(1)
              .setOccurredAtMillis(occurred)
              .setReceivedAtMillis(received)
              .setWorkspaceGid("1200" + (i % 5))
              .setActorId("u_" + (i % 37))
              .setPlatform(i % 2 == 0 ? "web" : "ios")
              .setService(i % 2 == 0 ? null : "mobile-api")
              .setAppVersion(i % 2 == 0 ? null : "5.1." + (i % 9))
              .setResourceType(notification ? "notification" : "task")
              .setResourceGid("r" + i)
              .setTaskGid(notification ? null : "t" + (i % 50))
              .setTriggerEventId(notification ? "trig_" + (i % 20) : null)
              .setTriggerEventType(notification ? "comment.added" : null)
              .setPayloadJson("{\"i\":" + i + ",\"note\":\"é ✓\"}")
              .setSource(SourceRef.kafka("collab-events", i % 3, 1_000L + i))
              .build());
    }
    return events;
  }

  /**
   * {@code n} rejected records, arriving over about ten minutes, with non-UTF-8 and empty payloads
   * among them.
   */
  static List<QuarantineRecord> quarantined(int n) {
    List<QuarantineRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long received = T0 + 20_000L * i + 11;
      SourceRef source = SourceRef.kafka("collab-events", i % 3, 50_000L + i);
      if (i % 3 == 0) {
        records.add(
            QuarantineRecord.of(
                RawRecord.of(new byte[] {(byte) 0xC3, 0x28, (byte) i}, source, received),
                ReasonCode.NOT_UTF8,
                "byte 0: invalid UTF-8",
                null,
                null));
      } else if (i % 3 == 1) {
        records.add(
            QuarantineRecord.of(
                RawRecord.of(new byte[0], source, received),
                ReasonCode.EMPTY_RECORD,
                "empty",
                null,
                null));
      } else {
        String id = String.format("evt_bad_%05d", i);
        records.add(
            QuarantineRecord.of(
                RawRecord.of(
                    ("{\"event_id\":\""
                            + id
                            + "\",\"event_type\":\"task.updated\",\"actor\":{\"email\":\"a@b.c\"}}")
                        .getBytes(StandardCharsets.UTF_8),
                    source,
                    received),
                ReasonCode.ENVELOPE_INVALID,
                "/actor/user_gid: required",
                id,
                "task.updated"));
      }
    }
    return records;
  }

  /**
   * The raw store's object names (relative to its prefix) for {@code events}, in batch (one pane
   * per window).
   */
  static SortedSet<String> rawKeys(List<CollabEvent> events, int shards, long generation) {
    SortedSet<String> keys = new TreeSet<>();
    for (CollabEvent e : events) {
      keys.add(
          name(
              e.occurredAtMillis(),
              e.receivedAtMillis(),
              "part",
              generation,
              Math.floorMod(e.eventId().hashCode(), shards),
              shards,
              ".parquet"));
    }
    return keys;
  }

  /**
   * The quarantine's object names (relative to its prefix) for {@code records}, in batch, with one
   * shard.
   */
  static SortedSet<String> quarantineKeys(List<QuarantineRecord> records, long generation) {
    SortedSet<String> keys = new TreeSet<>();
    for (QuarantineRecord q : records) {
      long received = q.original().receivedAtMillis();
      keys.add(name(received, received, "quarantine", generation, 0, 1, ".jsonl"));
    }
    return keys;
  }

  private static String name(
      long partitionMillis,
      long arrivalMillis,
      String prefix,
      long generation,
      int shard,
      int shards,
      String suffix) {
    return String.format(
        "%s/%s-%s-g%d-p0-%05d-of-%05d%s",
        PARTITION.format(Instant.ofEpochMilli(partitionMillis)),
        prefix,
        MINUTE.format(Instant.ofEpochMilli(arrivalMillis)),
        generation,
        shard,
        shards,
        suffix);
  }
}
