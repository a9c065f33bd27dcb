package io.collabpipeline.tools.benchmark;

import static io.collabpipeline.tools.benchmark.BenchmarkOptions.median;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.Delivery;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.validate.EventValidator;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * {@code bin/collab-benchmark --modes=validate}: the per-record validation ({@link
 * EventValidator#validate}: strict parse, envelope and payload schemas, minimization,
 * pseudonymization) on one thread over the generator's deliveries (the usual input of the
 * benchmark, malformed records included), held in memory so only validation is timed. Stages, each
 * over all records, warm-ups then repeats, medians: the strict parse alone; parse + envelope
 * schema; the whole validation with the JSON-Schema library alone (no fast path: the "before"); the
 * whole validation as the pipeline runs it. Checks that both whole validations give the same
 * outcomes. Not a test: numbers depend on the machine.
 */
final class ValidateBenchmark {
  private ValidateBenchmark() {}

  static int run(String[] args) {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args, " for --modes=validate", "--events=N", "--repeats=N", "--warmups=N");
    long events = o.positive("events", 100_000);
    int repeats = o.positiveInt("repeats", 5);
    int warmups = o.positiveOrZero("warmups", 2);
    if (events > Integer.MAX_VALUE) {
      throw new UsageException("--events=" + events + " is too many for --modes=validate");
    }
    WorkloadGenerator generator =
        new WorkloadGenerator(WorkloadSpec.defaults().withDeliveries(events));
    List<RawRecord> records = new ArrayList<>((int) events);
    long bytes = 0;
    for (long i = 0; i < events; i++) {
      Delivery d = generator.delivery(i);
      records.add(
          RawRecord.of(d.bytes(), SourceRef.file("events-00.ndjson", i + 1), d.arrivalMillis()));
      bytes += d.bytes().length;
    }
    EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
    EventValidator fast = validator(registry);
    EventValidator libraryOnly = validator(registry.libraryOnly());
    System.out.printf(
        Locale.ROOT,
        "collab-benchmark --modes=validate: %,d deliveries (avg %,d B), in memory, one thread;"
            + " %d warm-up + %d repeats, medians; pseudonym key: dev, no user key store;"
            + " %d cores, Java %s%n",
        events,
        bytes / events,
        warmups,
        repeats,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));

    Map<String, ToLongFunction<RawRecord>> stages = new LinkedHashMap<>();
    ObjectMapper plain = new ObjectMapper();
    stages.put(
        "jackson readTree (plain)",
        r -> {
          try {
            return plain.readTree(r.payload()).isObject() ? 1 : 0;
          } catch (IOException | RuntimeException malformed) {
            return 0;
          }
        });
    stages.put("strict parse", r -> fast.parseOnly(r.payload()) == null ? 0 : 1);
    stages.put(
        "parse + envelope schema",
        r -> {
          var tree = fast.parseOnly(r.payload());
          return tree == null || !registry.validateEnvelope(tree).isEmpty() ? 0 : 1;
        });
    stages.put("validate, library only", r -> libraryOnly.validate(r).event() == null ? 0 : 1);
    stages.put("validate (as the pipeline)", r -> fast.validate(r).event() == null ? 0 : 1);

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    Map<String, List<Double>> cpuSeconds = new LinkedHashMap<>();
    Map<String, Long> passed = new TreeMap<>();
    for (int r = 1 - warmups; r <= repeats; r++) {
      for (Map.Entry<String, ToLongFunction<RawRecord>> stage : stages.entrySet()) {
        long ok = 0;
        long cpuStarted = threads.getCurrentThreadCpuTime();
        long started = System.nanoTime();
        for (RawRecord record : records) {
          ok += stage.getValue().applyAsLong(record);
        }
        double s = (System.nanoTime() - started) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - cpuStarted) / 1e9;
        passed.put(stage.getKey(), ok);
        if (r >= 1) {
          seconds.computeIfAbsent(stage.getKey(), k -> new ArrayList<>()).add(s);
          cpuSeconds.computeIfAbsent(stage.getKey(), k -> new ArrayList<>()).add(cpu);
        }
      }
    }
    String same = sameOutcomes(records, fast, libraryOnly);
    System.out.printf(
        Locale.ROOT,
        "%n%-28s %10s %14s %10s %14s %12s%n",
        "stage",
        "median s",
        "events/s",
        "µs/event",
        "CPU µs/event",
        "passed");
    for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
      double med = median(e.getValue());
      System.out.printf(
          Locale.ROOT,
          "%-28s %10.3f %,14.0f %10.2f %14.2f %,12d%n",
          e.getKey(),
          med,
          events / med,
          med * 1e6 / events,
          median(cpuSeconds.get(e.getKey())) * 1e6 / events,
          passed.get(e.getKey()));
    }
    System.out.println("outcomes with and without the fast path: " + same);
    return same.startsWith("identical") ? 0 : 1;
  }

  private static EventValidator validator(EventSchemaRegistry registry) {
    return new EventValidator(
        registry,
        new Pseudonymizer(KeyReference.dev().resolve()),
        ValidateEvents.DEFAULT_MAX_RECORD_BYTES,
        ValidateEvents.DEFAULT_MAX_NESTING_DEPTH,
        ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
        ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis());
  }

  /** Compares every record's outcome (event, or reason and detail) of the two validators. */
  private static String sameOutcomes(List<RawRecord> records, EventValidator a, EventValidator b) {
    long accepted = 0;
    Map<String, Long> reasons = new TreeMap<>();
    for (RawRecord r : records) {
      EventValidator.Outcome x = a.validate(r);
      EventValidator.Outcome y = b.validate(r);
      QuarantineRecord qx = x.quarantined();
      boolean equal =
          x.event() != null
              ? x.event().equals(y.event()) && x.unknownFieldsDropped() == y.unknownFieldsDropped()
              : qx.equals(y.quarantined()) && x.unknownFieldsDropped() == y.unknownFieldsDropped();
      if (!equal) {
        return "DIFFERENT at " + r.source();
      }
      if (x.event() != null) {
        accepted++;
      } else {
        reasons.merge(qx.reason().name(), 1L, Long::sum);
      }
    }
    return "identical (" + accepted + " accepted, quarantined " + reasons + ")";
  }
}
