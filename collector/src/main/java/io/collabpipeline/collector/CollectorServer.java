package io.collabpipeline.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP collector for web and mobile clients, on Undertow: {@code POST /v1/events} with a batch
 * of events (a JSON array, or NDJSON with {@code Content-Type: application/x-ndjson}) and the app's
 * key ({@code Authorization: Bearer <key>}).
 *
 * <p>Each event is validated and minimized by {@link EdgeProducer} (the pipeline's validator)
 * before Kafka. The answer comes only after Kafka acknowledged every record of the batch ({@code
 * acks=all}, idempotent producer): {@code 200} with one result per event, in order ({@code
 * accepted}, or {@code quarantined} with a reason code and a detail that quotes no value). If Kafka
 * did not acknowledge within the ack timeout the answer is {@code 503} with {@code Retry-After}:
 * send the same batch again (the pipeline deduplicates by event id). Other answers: {@code 401} (no
 * or unknown key), {@code 413} (body or batch too large), {@code 415} (media type), {@code 429}
 * (the app's rate limit, with {@code Retry-After}), {@code 400} (a JSON array that cannot be split
 * into events: the body goes to the quarantine topic). {@code GET /healthz} answers {@code ok}.
 *
 * <p>Requests run on Undertow's worker pool, each waiting for its acknowledgements; there is no
 * queue of accepted-but-unacknowledged events, so a restart loses nothing that was answered.
 */
public final class CollectorServer implements AutoCloseable {
  /** The path of the batch endpoint. */
  public static final String EVENTS_PATH = "/v1/events";

  private static final JsonFactory JSON = new JsonFactory();
  private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

  /** The collector's settings. */
  public static final class Config {
    String host = "127.0.0.1";
    int port = 8088;
    int maxBodyBytes = 8 * 1024 * 1024;
    int maxEventsPerBatch = 1000;
    double eventsPerSecondPerApp = 50_000;
    double burstPerApp = 100_000;
    Duration ackTimeout = Duration.ofSeconds(10);
    int workerThreads = 64;

    public Config host(String v) {
      host = v;
      return this;
    }

    public Config port(int v) {
      port = v;
      return this;
    }

    public Config maxBodyBytes(int v) {
      maxBodyBytes = v;
      return this;
    }

    public Config maxEventsPerBatch(int v) {
      maxEventsPerBatch = v;
      return this;
    }

    public Config rateLimit(double eventsPerSecond, double burst) {
      eventsPerSecondPerApp = eventsPerSecond;
      burstPerApp = burst;
      return this;
    }

    public Config ackTimeout(Duration v) {
      ackTimeout = v;
      return this;
    }

    public Config workerThreads(int v) {
      workerThreads = v;
      return this;
    }
  }

  private final Config config;
  private final AppKeys keys;
  private final EdgeProducer edge;
  private final RateLimiter limiter;
  private final Undertow server;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong quarantined = new AtomicLong();

  private CollectorServer(Config config, AppKeys keys, EdgeProducer edge) {
    this.config = config;
    this.keys = keys;
    this.edge = edge;
    this.limiter = new RateLimiter(config.eventsPerSecondPerApp, config.burstPerApp);
    this.server =
        Undertow.builder()
            .addHttpListener(config.port, config.host)
            .setIoThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setWorkerThreads(config.workerThreads)
            .setHandler(new EventsHandler())
            .build();
  }

  /** Starts the collector; {@code port} 0 takes a free port ({@link #address()}). */
  public static CollectorServer start(Config config, AppKeys keys, EdgeProducer edge) {
    CollectorServer s = new CollectorServer(config, keys, edge);
    s.server.start();
    return s;
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
  }

  /** Events accepted (acknowledged in the raw topic) since start. */
  public long accepted() {
    return accepted.get();
  }

  /** Records quarantined (acknowledged in the quarantine topic) since start. */
  public long quarantined() {
    return quarantined.get();
  }

  @Override
  public void close() {
    server.stop();
  }

  private final class EventsHandler implements HttpHandler {
    @Override
    public void handleRequest(HttpServerExchange ex) throws Exception {
      if (ex.isInIoThread()) {
        ex.dispatch(this); // blocking work (validation, waiting for acks) on the worker pool
        return;
      }
      if (ex.getRequestMethod().equals(Methods.GET) && ex.getRequestPath().equals("/healthz")) {
        respond(ex, 200, "{\"status\":\"ok\"}");
        return;
      }
      if (!ex.getRequestPath().equals(EVENTS_PATH)) {
        respond(ex, 404, error("no such path; POST batches to " + EVENTS_PATH));
        return;
      }
      if (!ex.getRequestMethod().equals(Methods.POST)) {
        respond(ex, 405, error("POST a batch of events"));
        return;
      }
      Optional<String> app =
          keys.appOf(bearer(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION)));
      if (app.isEmpty()) {
        respond(ex, 401, error("missing or unknown app key (Authorization: Bearer <key>)"));
        return;
      }
      String type = String.valueOf(ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
      boolean ndjson = type.startsWith("application/x-ndjson");
      if (!ndjson && !type.startsWith("application/json")) {
        respond(ex, 415, error("Content-Type must be application/json or application/x-ndjson"));
        return;
      }
      if (ex.getRequestContentLength() > config.maxBodyBytes) {
        respond(ex, 413, error("body larger than " + config.maxBodyBytes + " bytes"));
        return;
      }
      ex.startBlocking();
      byte[] body = readBody(ex.getInputStream(), config.maxBodyBytes);
      if (body == null) {
        respond(ex, 413, error("body larger than " + config.maxBodyBytes + " bytes"));
        return;
      }
      List<byte[]> records;
      try {
        records = ndjson ? BatchBody.ndjson(body) : BatchBody.jsonArray(body);
      } catch (BatchBody.Unsplittable e) {
        CompletableFuture<EdgeProducer.Result> q =
            edge.quarantineUnsplittable(app.get(), body, e.getMessage());
        if (!EdgeProducer.awaitAll(List.of(q), config.ackTimeout)) {
          unavailable(ex);
          return;
        }
        quarantined.incrementAndGet();
        respond(ex, 400, error(e.getMessage() + "; the body was quarantined (NOT_JSON)"));
        return;
      }
      if (records.size() > config.maxEventsPerBatch) {
        respond(ex, 413, error("more than " + config.maxEventsPerBatch + " events in one batch"));
        return;
      }
      long wait = limiter.tryAcquire(app.get(), records.size(), System.nanoTime());
      if (wait > 0) {
        ex.getResponseHeaders().put(RETRY_AFTER, Long.toString(wait));
        respond(ex, 429, error("rate limit of app " + app.get() + "; retry after " + wait + " s"));
        return;
      }
      List<CompletableFuture<EdgeProducer.Result>> results;
      try {
        results = edge.sendAll(app.get(), records);
      } catch (java.io.UncheckedIOException e) {
        // The user key store could not be read or written: no pseudonym, so nothing is confirmed.
        ex.getResponseHeaders().put(RETRY_AFTER, "1");
        respond(
            ex,
            503,
            error(
                "the user key store is unavailable; nothing of the batch is confirmed: send the"
                    + " same batch again (event ids make the retry safe)"));
        return;
      }
      if (!EdgeProducer.awaitAll(results, config.ackTimeout)) {
        unavailable(ex);
        return;
      }
      respond(ex, 200, results(results));
    }
  }

  private void unavailable(HttpServerExchange ex) {
    ex.getResponseHeaders().put(RETRY_AFTER, "1");
    respond(
        ex,
        503,
        error(
            "Kafka did not acknowledge the batch in time; nothing of it is confirmed: send the"
                + " same batch again (event ids make the retry safe)"));
  }

  private String results(List<CompletableFuture<EdgeProducer.Result>> results) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 48 * results.size());
    int a = 0;
    int q = 0;
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("results");
      for (int i = 0; i < results.size(); i++) {
        EdgeProducer.Result r = results.get(i).join();
        g.writeStartObject();
        g.writeNumberField("index", i);
        if (r.eventId != null) {
          g.writeStringField("event_id", r.eventId);
        }
        if (r.status == EdgeProducer.Result.Status.ACCEPTED) {
          a++;
          g.writeStringField("status", "accepted");
        } else {
          q++;
          g.writeStringField("status", "quarantined");
          g.writeStringField("reason", r.reason);
          g.writeStringField("detail", r.detail);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNumberField("accepted", a);
      g.writeNumberField("quarantined", q);
      g.writeEndObject();
    }
    accepted.addAndGet(a);
    quarantined.addAndGet(q);
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7);
  }

  /** The body, or null if it is longer than {@code max}. */
  private static byte[] readBody(InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max + 1);
    return body.length > max ? null : body;
  }

  private static String error(String message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("error", message);
      g.writeEndObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void respond(HttpServerExchange ex, int status, String json) {
    ex.setStatusCode(status);
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    ex.getResponseSender()
        .send(ByteBuffer.wrap(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
