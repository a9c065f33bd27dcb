package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.ReasonCode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The synthetic workload: determinism, shares, ground truth and the event contract. */
@RunWith(JUnit4.class)
public class WorkloadGeneratorTest {

  private static final int SAMPLE = 20_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static WorkloadGenerator generator;
  private static List<Delivery> sample;

  @BeforeClass
  public static void generateSample() {
    generator = new WorkloadGenerator(WorkloadSpec.defaults());
    sample = deliveries(generator, SAMPLE);
  }

  private static List<Delivery> deliveries(WorkloadGenerator g, int n) {
    List<Delivery> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      result.add(g.delivery(i));
    }
    return result;
  }

  private static List<Delivery> ofKind(List<Delivery> all, Delivery.Kind kind) {
    return all.stream().filter(d -> d.kind() == kind).collect(Collectors.toList());
  }

  private static JsonNode json(Delivery d) {
    try {
      return MAPPER.readTree(d.bytes());
    } catch (IOException e) {
      throw new AssertionError("delivery " + d.index() + " does not parse", e);
    }
  }

  @Test
  public void sameSeedAndIndexGiveTheSameBytesInAnyOrder() {
    WorkloadGenerator other = new WorkloadGenerator(WorkloadSpec.defaults());
    for (long index : new long[] {19_999, 7, 0, 12_345, 3, 999_999_999L, 5_000}) {
      Delivery a = generator.delivery(index);
      Delivery b = other.delivery(index);
      assertArrayEquals("delivery " + index, a.bytes(), b.bytes());
      assertThat(b.kind(), is(a.kind()));
      assertThat(b.arrivalMillis(), is(a.arrivalMillis()));
      assertThat(b.eventId(), is(a.eventId()));
    }
    for (int i = 0; i < 200; i++) {
      assertArrayEquals(sample.get(i).bytes(), other.delivery(i).bytes());
    }
  }

  @Test
  public void differentSeedsGiveDifferentWorkloads() {
    WorkloadGenerator reseeded = new WorkloadGenerator(WorkloadSpec.defaults().withSeed(7L));
    int same = 0;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      Delivery a = sample.get(i);
      Delivery b = reseeded.delivery(i);
      if (Arrays.equals(a.bytes(), b.bytes())) {
        same++;
      }
      if (a.eventId() != null && a.kind() == Delivery.Kind.ORIGINAL) {
        ids.add(a.eventId());
      }
      if (b.eventId() != null && b.kind() == Delivery.Kind.ORIGINAL) {
        assertThat("seeds share an event id at " + i, ids.contains(b.eventId()), is(false));
      }
    }
    assertThat(same, is(0));
  }

  @Test
  public void sharesOfDuplicatesAndMalformedFollowTheSpec() {
    assertShares(sample, 0.03, 0.01);
    WorkloadSpec heavy =
        WorkloadSpec.defaults().withDuplicateShare(0.12).withMalformedShare(0.06).withSeed(99);
    assertShares(deliveries(new WorkloadGenerator(heavy), SAMPLE), 0.12, 0.06);
    List<Delivery> clean =
        deliveries(
            new WorkloadGenerator(
                WorkloadSpec.defaults().withDuplicateShare(0).withMalformedShare(0)),
            3000);
    assertThat(ofKind(clean, Delivery.Kind.ORIGINAL).size(), is(3000));
  }

  private static void assertShares(List<Delivery> all, double duplicate, double malformed) {
    double n = all.size();
    double dup = ofKind(all, Delivery.Kind.DUPLICATE).size() / n;
    double bad = ofKind(all, Delivery.Kind.MALFORMED).size() / n;
    // Binomial standard deviations at n = 20k are ~0.0012 (3%) and ~0.0007 (1%): these bounds are
    // 4-5 sigma.
    assertThat(
        "duplicate share", dup, allOf(greaterThan(duplicate * 0.8), lessThan(duplicate * 1.2)));
    assertThat(
        "malformed share", bad, allOf(greaterThan(malformed * 0.7), lessThan(malformed * 1.3)));
  }

  @Test
  public void normalEventsOccurAtMostFiveSecondsBeforeArrivalAndLateOnesUpToMaxLateness() {
    List<Delivery> originals = ofKind(sample, Delivery.Kind.ORIGINAL);
    long late = 0;
    for (Delivery d : originals) {
      long delay = d.arrivalMillis() - d.occurredAtMillis();
      assertThat("delay of " + d.index(), delay, greaterThanOrEqualTo(0L));
      assertThat(
          "delay of " + d.index(), delay, lessThanOrEqualTo(Duration.ofMinutes(45).toMillis()));
      if (delay > 5_000) {
        late++;
        assertThat(delay, greaterThanOrEqualTo(60_000L));
      }
    }
    double share = late / (double) originals.size();
    assertThat("late share", share, allOf(greaterThan(0.04), lessThan(0.06)));
  }

  @Test
  public void tooLateEventsOccurHoursBeforeArrival() {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withTooLateShare(0.1).withLateShare(0.0).withSeed(5);
    List<Delivery> originals =
        ofKind(deliveries(new WorkloadGenerator(spec), 5000), Delivery.Kind.ORIGINAL);
    long tooLate = 0;
    for (Delivery d : originals) {
      long delay = d.arrivalMillis() - d.occurredAtMillis();
      if (delay > 5_000) {
        tooLate++;
        assertThat(
            delay, allOf(greaterThanOrEqualTo(7_200_000L), lessThan(7_200_000L + 3_600_000L)));
      }
    }
    double share = tooLate / (double) originals.size();
    assertThat("too-late share", share, allOf(greaterThan(0.08), lessThan(0.12)));
  }

  @Test
  public void everyDuplicateRepeatsTheBytesOfAnEarlierOriginal() {
    List<Delivery> duplicates = ofKind(sample, Delivery.Kind.DUPLICATE);
    assertThat(duplicates.size(), greaterThan(400));
    for (Delivery d : duplicates) {
      Delivery original = sample.get((int) d.retryOf());
      assertThat("target of " + d.index(), original.kind(), is(Delivery.Kind.ORIGINAL));
      assertThat(d.retryOf(), lessThan(d.index()));
      assertThat(d.index() - d.retryOf(), lessThanOrEqualTo(2000L + 64L));
      assertArrayEquals("bytes of " + d.index(), original.bytes(), d.bytes());
      assertThat(d.eventId(), is(original.eventId()));
      assertThat(d.arrivalMillis(), greaterThanOrEqualTo(original.arrivalMillis()));
      assertThat(d.expectedReason(), nullValue());
    }
    Set<Long> distances =
        duplicates.stream().map(d -> d.index() - d.retryOf()).collect(Collectors.toSet());
    assertThat("retries come from various distances", distances.size(), greaterThan(300));
  }

  @Test
  public void arrivalFollowsTheSyntheticClockMonotonically() {
    long start = WorkloadSpec.DEFAULT_START.toEpochMilli();
    for (int i = 1; i < sample.size(); i++) {
      assertThat(
          sample.get(i).arrivalMillis(), greaterThanOrEqualTo(sample.get(i - 1).arrivalMillis()));
    }
    assertThat(sample.get(0).arrivalMillis(), is(start));
    assertThat(sample.get(400).arrivalMillis(), is(start + 10_000L)); // 40 deliveries per second
    // A million deliveries at 40/s span about 7 hours: they cross hour windows.
    assertThat(generator.arrivalMillis(1_000_000L), is(start + 25_000_000L));
    WorkloadGenerator fast =
        new WorkloadGenerator(
            WorkloadSpec.defaults().withSyntheticRate(1000).withStart(Instant.EPOCH));
    assertThat(fast.delivery(2500).arrivalMillis(), is(2500L));
  }

  @Test
  public void averageSizeIsAboutOneAndAHalfKilobytes() {
    double mean = sample.stream().mapToInt(d -> d.bytes().length).average().orElse(0);
    assertThat(mean, allOf(greaterThan(1200.0), lessThan(1800.0)));
    int max = sample.stream().mapToInt(d -> d.bytes().length).max().orElse(0);
    assertThat("TOO_LARGE is opt-in", max, lessThan(ContractCheck.MAX_BYTES));
  }

  @Test
  public void everyMalformedKindAppearsAndDeservesItsReason() {
    WorkloadSpec spec =
        WorkloadSpec.defaults()
            .withMalformedShare(0.3)
            .withTooLargeEnabled(true)
            .withClockSkewEnabled(true)
            .withSeed(11);
    WorkloadGenerator g = new WorkloadGenerator(spec);
    Map<ReasonCode, Integer> seen = new EnumMap<>(ReasonCode.class);
    for (int i = 0; i < 1500; i++) {
      Delivery d = g.delivery(i);
      ReasonCode deserved = ContractCheck.reasonFor(d.bytes(), d.arrivalMillis());
      if (d.kind() == Delivery.Kind.MALFORMED) {
        assertThat(d.expectedReason(), notNullValue());
        assertThat("delivery " + d.index(), deserved, is(d.expectedReason()));
        seen.merge(d.expectedReason(), 1, Integer::sum);
      } else {
        assertThat(d.expectedReason(), nullValue());
        assertThat("delivery " + d.index(), deserved, nullValue());
      }
    }
    assertThat(seen.keySet(), is(EnumSet.allOf(ReasonCode.class)));
    assertThat(EnumSet.copyOf(g.malformedReasons()), is(EnumSet.allOf(ReasonCode.class)));
  }

  @Test
  public void clockSkewedEventsAreADayBeyondTheBoundsOfTheirArrival() {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withMalformedShare(0.5).withClockSkewEnabled(true).withSeed(12);
    WorkloadGenerator g = new WorkloadGenerator(spec);
    long day = Duration.ofDays(1).toMillis();
    int future = 0;
    int tooOld = 0;
    for (int i = 0; i < 1000; i++) {
      Delivery d = g.delivery(i);
      long ahead = d.occurredAtMillis() - d.arrivalMillis();
      if (d.expectedReason() == ReasonCode.OCCURRED_IN_FUTURE) {
        future++;
        assertThat(
            "delivery " + i,
            ahead,
            allOf(greaterThanOrEqualTo(2 * day), lessThan(2 * day + 3_600_000L)));
      } else if (d.expectedReason() == ReasonCode.OCCURRED_TOO_LONG_AGO) {
        tooOld++;
        assertThat(
            "delivery " + i,
            -ahead,
            allOf(greaterThanOrEqualTo(181 * day), lessThan(181 * day + 3_600_000L)));
      } else {
        continue;
      }
      JsonNode e = json(d);
      long occurredAt =
          OffsetDateTime.parse(e.get("occurred_at").asText()).toInstant().toEpochMilli();
      assertThat(occurredAt, is(d.occurredAtMillis()));
      assertThat(e.get("event_id").asText(), is(d.eventId()));
    }
    assertThat(future, greaterThan(10));
    assertThat(tooOld, greaterThan(10));
  }

  @Test
  public void theOracleJudgesTheClockAgainstTheArrivalWithInclusiveBounds() {
    Delivery d = ofKind(sample, Delivery.Kind.ORIGINAL).get(0);
    long occurred = d.occurredAtMillis();
    long day = Duration.ofDays(1).toMillis();
    assertThat(ContractCheck.reasonFor(d.bytes(), occurred - day), nullValue());
    assertThat(
        ContractCheck.reasonFor(d.bytes(), occurred - day - 1), is(ReasonCode.OCCURRED_IN_FUTURE));
    assertThat(ContractCheck.reasonFor(d.bytes(), occurred + 180 * day), nullValue());
    assertThat(
        ContractCheck.reasonFor(d.bytes(), occurred + 180 * day + 1),
        is(ReasonCode.OCCURRED_TOO_LONG_AGO));
  }

  @Test
  public void theDefaultMixHasNeitherTooLargeNorClockSkewedRecords() {
    Set<ReasonCode> optIn =
        EnumSet.of(
            ReasonCode.TOO_LARGE, ReasonCode.OCCURRED_IN_FUTURE, ReasonCode.OCCURRED_TOO_LONG_AGO);
    assertThat(
        EnumSet.copyOf(generator.malformedReasons()),
        is(EnumSet.complementOf(EnumSet.copyOf(optIn))));
    for (Delivery d : ofKind(sample, Delivery.Kind.MALFORMED)) {
      assertThat("delivery " + d.index(), optIn.contains(d.expectedReason()), is(false));
    }
  }

  @Test
  public void validDeliveriesSatisfyTheContract() {
    for (Delivery d : sample) {
      if (d.kind() != Delivery.Kind.MALFORMED) {
        assertThat(
            "delivery " + d.index(),
            ContractCheck.reasonFor(d.bytes(), d.arrivalMillis()),
            nullValue());
        JsonNode e = json(d);
        assertThat(e.get("event_id").asText(), is(d.eventId()));
        assertThat(e.get("event_type").asText(), is(d.eventType()));
        assertThat(
            OffsetDateTime.parse(e.get("occurred_at").asText()).toInstant().toEpochMilli(),
            is(d.occurredAtMillis()));
      }
    }
  }

  @Test
  public void eventIdsAreUniquePerOriginal() {
    Set<String> ids = new HashSet<>();
    for (Delivery d : ofKind(sample, Delivery.Kind.ORIGINAL)) {
      assertThat("duplicate id at " + d.index(), ids.add(d.eventId()), is(true));
      assertThat(d.eventId().matches("[A-Za-z0-9_-]{8,64}"), is(true));
    }
  }

  @Test
  public void theMixLooksLikeACollaborationProduct() {
    Map<String, Integer> types = new TreeMap<>();
    Map<String, Integer> platforms = new TreeMap<>();
    Map<String, Integer> workspaces = new HashMap<>();
    int v2 = 0;
    int updates = 0;
    for (Delivery d : ofKind(sample, Delivery.Kind.ORIGINAL)) {
      JsonNode e = json(d);
      types.merge(d.eventType(), 1, Integer::sum);
      platforms.merge(e.get("source").get("platform").asText(), 1, Integer::sum);
      workspaces.merge(e.get("workspace_gid").asText(), 1, Integer::sum);
      if (d.eventType().equals("task.updated")) {
        updates++;
        v2 += e.get("schema_version").asInt() == 2 ? 1 : 0;
      }
    }
    assertThat(types.keySet(), equalTo(new java.util.TreeSet<>(WorkloadGenerator.EVENT_TYPES)));
    int comments = types.get("comment.added");
    assertThat(types.get("task.updated"), greaterThan(3 * comments));
    assertThat(types.get("notification.sent"), greaterThan(3 * comments));
    assertThat(comments, greaterThan(types.get("project.member_added")));
    assertThat(types.get("project.member_added"), greaterThan(types.get("user.erasure_requested")));
    assertThat(
        platforms.keySet(),
        equalTo(new java.util.TreeSet<>(Arrays.asList("android", "backend", "ios", "web"))));
    assertThat(
        "task.updated v2 share", v2 / (double) updates, allOf(greaterThan(0.27), lessThan(0.33)));

    List<Integer> sizes = new ArrayList<>(workspaces.values());
    sizes.sort(null);
    assertThat(sizes.size(), is(40));
    int median = sizes.get(sizes.size() / 2);
    assertThat("skewed workspace activity", sizes.get(sizes.size() - 1), greaterThan(5 * median));
  }

  @Test
  public void notificationsReferToEarlierValidTriggersOfTheirWorkspaceWithFanOut() {
    Map<String, Delivery> originalsById = new HashMap<>();
    Map<String, Integer> perTrigger = new HashMap<>();
    int notifications = 0;
    for (Delivery d : sample) {
      if (d.kind() != Delivery.Kind.ORIGINAL) {
        continue;
      }
      if (d.eventType().equals("notification.sent")) {
        notifications++;
        JsonNode e = json(d);
        JsonNode p = e.get("payload");
        Delivery trigger = originalsById.get(p.get("trigger_event_id").asText());
        assertThat("trigger of " + d.index() + " is an earlier original", trigger, notNullValue());
        JsonNode t = json(trigger);
        assertThat(p.get("trigger_event_type").asText(), is(trigger.eventType()));
        assertThat(trigger.eventType(), not(is("notification.sent")));
        assertThat(e.get("workspace_gid"), is(t.get("workspace_gid")));
        assertThat(
            "nobody is notified of their own action",
            p.get("recipient_user_gid").asText(),
            not(is(t.get("actor").get("user_gid").asText())));
        perTrigger.merge(trigger.eventId(), 1, Integer::sum);
      }
      originalsById.put(d.eventId(), d);
    }
    assertThat(notifications, greaterThan(5000));
    double fanout = notifications / (double) perTrigger.size();
    int maxFanout = perTrigger.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    assertThat("average fan-out", fanout, allOf(greaterThan(2.0), lessThan(15.0)));
    assertThat("maximum fan-out", maxFanout, greaterThanOrEqualTo(10));
    assertThat("some triggers notify one user", perTrigger.containsValue(1), is(true));
  }

  @Test
  public void eventsCarryRealisticPersonalDataForTheMinimizerToRemove() {
    int withContext = 0;
    int withText = 0;
    int nonAscii = 0;
    for (Delivery d : ofKind(sample.subList(0, 2000), Delivery.Kind.ORIGINAL)) {
      JsonNode e = json(d);
      assertThat(e.get("actor").get("email").asText(), containsString("@"));
      assertThat(e.get("actor").get("name").asText().isEmpty(), is(false));
      if (e.has("context")) {
        withContext++;
        assertThat(e.get("context").get("user_agent").asText().length(), greaterThan(40));
      }
      if (e.get("payload").has("text")) {
        withText++;
      }
      if (new String(d.bytes(), java.nio.charset.StandardCharsets.UTF_8).length()
          < d.bytes().length) {
        nonAscii++;
      }
    }
    assertThat(withContext, greaterThan(500));
    assertThat(withText, greaterThan(100));
    assertThat("non-ASCII text is common", nonAscii, greaterThan(200));
  }

  @Test
  public void specValidationNamesTheMethodToFix() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new WorkloadGenerator(WorkloadSpec.defaults().withDuplicateShare(1.5)));
    assertThat(e.getMessage(), containsString("withDuplicateShare"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new WorkloadGenerator(WorkloadSpec.defaults().withSyntheticRate(0)));
    assertThat(e.getMessage(), containsString("withSyntheticRate"));
  }

  @Test
  public void specsWhoseValidEventsWouldBeOlderThanTheAgeBoundAreRefused() {
    WorkloadSpec tooLate = WorkloadSpec.defaults().withTooLateShare(0.1);
    // The oldest original (delay + 1 h spread) and its retries (52 s later at most at 40/s) stay
    // within 180 days.
    new WorkloadGenerator(tooLate.withTooLateDelay(Duration.ofDays(180).minusHours(2)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new WorkloadGenerator(
                    tooLate.withTooLateDelay(Duration.ofDays(180).minusMinutes(59))));
    assertThat(e.getMessage(), containsString("withTooLateDelay"));

    // 2,063 deliveries (the retry distance and the scan for an original) at one per 10,000 s: 239
    // days.
    WorkloadSpec slow = WorkloadSpec.defaults().withSyntheticRate(1e-4);
    e = assertThrows(IllegalArgumentException.class, () -> new WorkloadGenerator(slow));
    assertThat(e.getMessage(), containsString("withMaxRetryDistance"));
    new WorkloadGenerator(slow.withMaxRetryDistance(1000)); // 1,063 deliveries: 123 days
    new WorkloadGenerator(slow.withDuplicateShare(0)); // no retries
  }

  @Test
  public void deliveriesContainNoNewline() {
    for (Delivery d : sample) {
      for (byte b : d.bytes()) {
        assertThat("delivery " + d.index(), b == '\n' || b == '\r', is(false));
      }
    }
  }
}
