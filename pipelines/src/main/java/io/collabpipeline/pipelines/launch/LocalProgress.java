package io.collabpipeline.pipelines.launch;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Progress of a job running in this JVM (the embedded runners), for the progress line of the
 * command line. Beam metrics are only readable when a job has finished; these counters are readable
 * while it runs. On a cluster each worker JVM counts its own share and nobody reads it: they are a
 * display aid, never a result (results come from the warehouse and from Beam metrics).
 */
public final class LocalProgress {
  private static final ConcurrentHashMap<String, LongAdder> COUNTS = new ConcurrentHashMap<>();

  /** Records read from the source, counted by the live job's {@code TrackProgress} step. */
  public static final String RECEIVED = "received";

  /** Events accepted by dedup, counted by the live job's {@code TrackAccepted} step. */
  public static final String ACCEPTED = "accepted";

  private LocalProgress() {}

  public static long get(String name) {
    LongAdder a = COUNTS.get(name);
    return a == null ? 0L : a.sum();
  }

  public static void reset() {
    COUNTS.clear();
  }

  static void add(String name, long n) {
    COUNTS.computeIfAbsent(name, k -> new LongAdder()).add(n);
  }

  /** A DoFn that counts the elements passing by under {@code name} and outputs nothing. */
  public static <T> DoFn<T, Void> counter(String name) {
    return new CountFn<>(name);
  }

  private static final class CountFn<T> extends DoFn<T, Void> {
    private final String name;
    private transient long pending;

    CountFn(String name) {
      this.name = name;
    }

    @ProcessElement
    public void process() {
      if (++pending == 1_000) {
        add(name, pending);
        pending = 0;
      }
    }

    @FinishBundle
    public void finish() {
      if (pending > 0) {
        add(name, pending);
        pending = 0;
      }
    }
  }
}
