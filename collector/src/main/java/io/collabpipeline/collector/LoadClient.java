package io.collabpipeline.collector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The project's HTTP load generator for the collector: {@code connections} clients in a closed loop
 * (like {@code wrk}: each keeps one request in flight), each posting the next batch of events as
 * NDJSON through the JDK's {@link HttpClient}. A batch that is not answered {@code 200} (a {@code
 * 503} while Kafka is away, a {@code 429}, a broken connection) is sent again, unchanged, after a
 * short pause, as a well-behaved client does; event ids make that safe.
 *
 * <p>Latency is measured per answered request (each attempt), from just before the send to the
 * complete response.
 */
public final class LoadClient {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** What a run measured. */
  public static final class Report {
    /** Batches answered 200. */
    public final long batches;

    /** Batches answered with a status that is not retried (4xx other than 429). */
    public final long failedBatches;

    public final long acceptedEvents;
    public final long quarantinedEvents;
    public final long retries;
    public final double seconds;
    public final long[] latencyNanos; // of every 200 answer, sorted
    public final Set<String> acknowledgedIds;

    Report(
        long batches,
        long failedBatches,
        long accepted,
        long quarantined,
        long retries,
        double seconds,
        long[] latencyNanos,
        Set<String> ids) {
      this.batches = batches;
      this.failedBatches = failedBatches;
      this.acceptedEvents = accepted;
      this.quarantinedEvents = quarantined;
      this.retries = retries;
      this.seconds = seconds;
      this.latencyNanos = latencyNanos;
      this.acknowledgedIds = ids;
    }

    /** Accepted events per second of the run. */
    public double eventsPerSecond() {
      return acceptedEvents / seconds;
    }

    /** Latency quantile in milliseconds (q in [0, 1]). */
    public double latencyMillis(double q) {
      if (latencyNanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(latencyNanos.length - 1, Math.ceil(q * latencyNanos.length) - 1);
      return latencyNanos[Math.max(0, i)] / 1e6;
    }
  }

  private final URI uri;
  private final String appKey;
  private final int connections;
  private final boolean collectIds;
  private final HttpClient client;

  public LoadClient(URI uri, String appKey, int connections, boolean collectIds) {
    this.uri = uri;
    this.appKey = appKey;
    this.connections = connections;
    this.collectIds = collectIds;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(Math.max(2, connections)))
            .build();
  }

  /**
   * The events as NDJSON bodies of {@code batchSize} events each (NDJSON, so a malformed record of
   * the generator's mix stays one record instead of breaking a whole JSON array).
   */
  public static List<byte[]> batches(List<byte[]> events, int batchSize) {
    List<byte[]> bodies = new ArrayList<>();
    for (int from = 0; from < events.size(); from += batchSize) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int i = from; i < Math.min(events.size(), from + batchSize); i++) {
        b.writeBytes(events.get(i));
        b.write('\n');
      }
      bodies.add(b.toByteArray());
    }
    return bodies;
  }

  /** Posts every body once to success (retrying as needed), within {@code timeout}. */
  public Report run(List<byte[]> bodies, Duration timeout) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicLong accepted = new AtomicLong();
    AtomicLong quarantined = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    Set<String> ids = ConcurrentHashMap.newKeySet();
    long[][] latencies = new long[connections][];
    int[] counts = new int[connections];
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    for (int c = 0; c < connections; c++) {
      int me = c;
      latencies[me] = new long[Math.max(16, bodies.size() / connections + 16)];
      pool.execute(
          () -> {
            int i;
            while ((i = next.getAndIncrement()) < bodies.size()) {
              int attempt = 0;
              while (System.nanoTime() < deadline) {
                long t0 = System.nanoTime();
                try {
                  HttpResponse<byte[]> r =
                      client.send(
                          HttpRequest.newBuilder(uri)
                              .timeout(Duration.ofSeconds(30))
                              .header("Authorization", "Bearer " + appKey)
                              .header("Content-Type", "application/x-ndjson")
                              .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i)))
                              .build(),
                          HttpResponse.BodyHandlers.ofByteArray());
                  long t1 = System.nanoTime();
                  if (r.statusCode() == 200) {
                    if (counts[me] == latencies[me].length) {
                      latencies[me] = Arrays.copyOf(latencies[me], counts[me] * 2);
                    }
                    latencies[me][counts[me]++] = t1 - t0;
                    JsonNode answer = MAPPER.readTree(r.body());
                    accepted.addAndGet(answer.path("accepted").asLong());
                    quarantined.addAndGet(answer.path("quarantined").asLong());
                    if (collectIds) {
                      for (JsonNode result : answer.path("results")) {
                        if ("accepted".equals(result.path("status").asText())) {
                          ids.add(result.path("event_id").asText());
                        }
                      }
                    }
                    done.incrementAndGet();
                    break;
                  }
                  if (r.statusCode() != 503 && r.statusCode() != 429) {
                    // not retryable (a client error): counted, not sent again
                    failed.incrementAndGet();
                    break;
                  }
                } catch (java.io.IOException e) {
                  // connection refused or reset: the collector or its network is away; retry
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                retries.incrementAndGet();
                attempt++;
                try {
                  Thread.sleep(Math.min(1000, 50L * attempt));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
              }
            }
          });
    }
    pool.shutdown();
    if (!pool.awaitTermination(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS)) {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int total = 0;
    for (int n : counts) {
      total += n;
    }
    long[] all = new long[total];
    int at = 0;
    for (int c = 0; c < connections; c++) {
      System.arraycopy(latencies[c], 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    return new Report(
        done.get(),
        failed.get(),
        accepted.get(),
        quarantined.get(),
        retries.get(),
        seconds,
        all,
        ids);
  }
}
