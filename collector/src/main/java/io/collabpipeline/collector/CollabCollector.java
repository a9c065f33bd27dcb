package io.collabpipeline.collector;

import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * {@code bin/collab-collector}: the HTTP collector in front of Kafka. Options ({@code
 * --name=value}): {@code --bootstrapServers} (127.0.0.1:9092), {@code --topic} ({@value
 * EdgeProducer#DEFAULT_TOPIC}), {@code --quarantineTopic} ({@value
 * EdgeProducer#DEFAULT_QUARANTINE_TOPIC}, created with 2 days' retention and hourly segments if
 * missing), {@code --appKeys} (required: {@code app=env:VAR,app=file:/path}), {@code
 * --pseudonymKey} ({@code env:}, {@code file:}; {@code dev} only with {@code --allowDevKey=true}),
 * {@code --userKeyStore} (the pipeline's per-user pseudonym secrets: {@code jdbc:postgresql://…} or
 * a directory; {@code none} only with {@code --allowDevKey=true}), {@code --host} (127.0.0.1),
 * {@code --port} (8088), {@code --maxBodyBytes} (8 MiB), {@code --maxEventsPerBatch} (1000), {@code
 * --rateLimit} (events/s per app, 50000), {@code --ackTimeoutSeconds} (10). A wrong option: one
 * line naming it, exit 2.
 */
public final class CollabCollector {
  private static final Set<String> OPTIONS =
      Set.of(
          "bootstrapServers",
          "topic",
          "quarantineTopic",
          "appKeys",
          "pseudonymKey",
          "userKeyStore",
          "allowDevKey",
          "host",
          "port",
          "maxBodyBytes",
          "maxEventsPerBatch",
          "rateLimit",
          "ackTimeoutSeconds");

  private CollabCollector() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    Map<String, String> o;
    CollectorServer.Config config;
    KeyReference key;
    String userKeyStore;
    AppKeys keys;
    try {
      o = parse(args);
      config =
          new CollectorServer.Config()
              .host(o.getOrDefault("host", "127.0.0.1"))
              .port(intOption(o, "port", 8088))
              .maxBodyBytes(intOption(o, "maxBodyBytes", 8 * 1024 * 1024))
              .maxEventsPerBatch(intOption(o, "maxEventsPerBatch", 1000))
              .rateLimit(intOption(o, "rateLimit", 50_000), 2.0 * intOption(o, "rateLimit", 50_000))
              .ackTimeout(Duration.ofSeconds(intOption(o, "ackTimeoutSeconds", 10)));
      String keyRef = o.get("pseudonymKey");
      if (keyRef == null) {
        throw new IllegalArgumentException(
            "--pseudonymKey is required (env:VAR or file:/path: the pipeline's key, so edge and"
                + " pipeline pseudonyms agree)");
      }
      key = KeyReference.parse(keyRef);
      if (key.isInsecure() && !Boolean.parseBoolean(o.getOrDefault("allowDevKey", "false"))) {
        throw new IllegalArgumentException(
            "--pseudonymKey=dev is public: anyone can reverse its pseudonyms; give env:VAR or"
                + " file:/path, or --allowDevKey=true for a throwaway run");
      }
      key.resolve();
      userKeyStore = userKeyStore(o);
      keys = AppKeys.resolve(o.get("appKeys"));
    } catch (RuntimeException e) {
      System.err.println("collab-collector: " + e.getMessage());
      System.exit(2);
      return;
    }
    String bootstrap = o.getOrDefault("bootstrapServers", "127.0.0.1:9092");
    String topic = o.getOrDefault("topic", EdgeProducer.DEFAULT_TOPIC);
    String quarantineTopic =
        o.getOrDefault("quarantineTopic", EdgeProducer.DEFAULT_QUARANTINE_TOPIC);
    Map<String, Object> admin = new HashMap<>();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin a = Admin.create(admin)) {
      EdgeProducer.ensureQuarantineTopic(a, quarantineTopic, 1);
    }
    EdgeProducer edge =
        new EdgeProducer(
            new KafkaProducer<>(EdgeProducer.producerConfig(bootstrap, config.ackTimeout)),
            topic,
            quarantineTopic,
            key,
            userKeyStore);
    CollectorServer server = CollectorServer.start(config, keys, edge);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  edge.close();
                  stopped.countDown();
                }));
    out.printf(
        "collab-collector: listening on http://%s:%d%s (apps: %s); raw topic %s, quarantine topic"
            + " %s (2 days' retention) on %s; pseudonym key %s, user key store %s (key id %s)%n",
        server.address().getHostString(),
        server.address().getPort(),
        CollectorServer.EVENTS_PATH,
        String.join(",", keys.apps()),
        topic,
        quarantineTopic,
        bootstrap,
        key.toString(),
        UserKeyStores.shown(userKeyStore),
        edge.keyId());
    stopped.await();
  }

  /**
   * {@code --userKeyStore}, checked as the pipeline checks it: {@code none} (the default) only with
   * {@code --allowDevKey=true}, since the edge writes Kafka, and without per-user secrets an
   * erasure cannot crypto-shred; anything else opened once here, so a store that cannot be opened
   * is a one-line usage error at launch.
   *
   * @throws IllegalArgumentException with that line
   */
  static String userKeyStore(Map<String, String> o) {
    String reference = o.getOrDefault("userKeyStore", UserKeyStores.NONE);
    if (UserKeyStores.isNone(reference)) {
      if (!Boolean.parseBoolean(o.getOrDefault("allowDevKey", "false"))) {
        throw new IllegalArgumentException(
            "--userKeyStore=none cannot crypto-shred an erased user's pseudonyms: pass"
                + " --userKeyStore=jdbc:postgresql://host/db (the pipeline's store; or a directory on"
                + " a single machine), or --allowDevKey=true for a throwaway run");
      }
      return UserKeyStores.NONE;
    }
    try (UserKeyStore store = UserKeyStores.open(reference)) {
      return reference.trim();
    } catch (IOException | RuntimeException e) {
      String m = e.getMessage() == null ? "cannot open it" : e.getMessage().split("\n", 2)[0];
      throw new IllegalArgumentException(
          "--userKeyStore=" + UserKeyStores.shown(reference) + ": " + m, e);
    }
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 3) {
        throw new IllegalArgumentException(
            "options are --name=value; got an argument that is not (its text is not shown)");
      }
      String name = arg.substring(2, eq);
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException(
            "unknown option --"
                + name
                + " (options: "
                + String.join(
                    ", ", OPTIONS.stream().sorted().map(n -> "--" + n).toArray(String[]::new))
                + ")");
      }
      o.put(name, arg.substring(eq + 1));
    }
    return o;
  }

  private static int intOption(Map<String, String> o, String name, int dflt) {
    String v = o.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i <= 0) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a positive integer");
    }
  }
}
