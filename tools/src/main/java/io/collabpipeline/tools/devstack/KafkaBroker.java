package io.collabpipeline.tools.devstack;

import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * The dev stack's durable Kafka broker: Kafka's own server entry point ({@code kafka.Kafka}, the
 * class {@code kafka-server-start.sh} runs) in a JVM of its own, from the Maven artifacts on this
 * module's classpath, with its log under a directory that outlives the process. Stop it and start
 * it again, or kill it with {@code kill -9}, and the topics keep their records: a broker restart in
 * the dev stack is a real restart.
 *
 * <p>{@link #start} lays out {@code dir} (the dev stack's is {@code .collab-dev/kafka/}):
 *
 * <ul>
 *   <li>{@code server.properties}, written on every start from the options: one combined KRaft node
 *       ({@code process.roles=broker,controller}, node id 1, static voter {@code
 *       1@127.0.0.1:<controller port>}), loopback listeners only, {@code log.dirs=<dir>/data}, and
 *       the settings every dev broker has ({@link LocalKafka#brokerDefaults()}: no automatic
 *       topics, LogAppendTime, the large-record limit, single-replica internal topics);
 *   <li>{@code data/}, formatted once by Kafka's own storage tool ({@code kafka.tools.StorageTool
 *       format}, with a cluster id kept in {@code data/meta.properties}); a formatted directory is
 *       never formatted again;
 *   <li>{@code kafka.pid} and {@code kafka.log} (the broker's stdout and stderr, appended), and
 *       {@code log4j2.properties} (Kafka's server and log-recovery lines at INFO, the rest at
 *       WARN).
 * </ul>
 *
 * <p>It then starts {@code java -cp <classpath> kafka.Kafka <dir>/server.properties} detached from
 * this JVM (the broker keeps running when the launcher exits), waits until the broker answers, and
 * creates each topic with LogAppendTime timestamps and the large-record limit if it does not exist
 * (an existing topic and its records are left as they are). {@link #stop} sends SIGTERM (a
 * controlled shutdown that flushes the log and writes its clean-shutdown marker) and waits; a
 * broker killed without it recovers its log on the next start.
 *
 * <p>{@code bin/collab-devstack start|stop|restart-kafka} run {@link #main}; {@code
 * KafkaBrokerDurabilityTest} runs {@link #start} and {@link #stop} the same way.
 */
public final class KafkaBroker {
  /** The dev stack's controller port: the client port's neighbour, as in Kafka's quickstart. */
  public static final int DEV_CONTROLLER_PORT = LocalKafka.DEV_PORT + 1;

  /** The broker's main class: Kafka's own server entry point. */
  public static final String SERVER_MAIN = "kafka.Kafka";

  static final String SERVER_PROPERTIES = "server.properties";
  static final String DATA_DIR = "data";
  static final String PID_FILE = "kafka.pid";
  static final String LOG_FILE = "kafka.log";
  static final String LOG4J_FILE = "log4j2.properties";

  /** How long a start may take until the broker answers and its topics have leaders. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** How long a controlled shutdown may take before the broker is killed. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /** What to start: where, on which ports, with which topics, on which classpath. */
  public static final class Settings {
    final Path dir;
    final int port;
    final int controllerPort;
    final List<String> topics;
    final int partitions;
    final String heap;
    final String classpath;

    private Settings(
        Path dir,
        int port,
        int controllerPort,
        List<String> topics,
        int partitions,
        String heap,
        String classpath) {
      this.dir = dir;
      this.port = port;
      this.controllerPort = controllerPort;
      this.topics = topics;
      this.partitions = partitions;
      this.heap = heap;
      this.classpath = classpath;
    }

    /**
     * The dev stack's broker in {@code dir}: port {@value LocalKafka#DEV_PORT}, controller {@link
     * #DEV_CONTROLLER_PORT}, topic {@value LocalKafka#DEV_TOPIC} with {@value
     * LocalKafka#DEV_PARTITIONS} partitions, 1 GiB heap, this JVM's classpath.
     */
    public static Settings in(Path dir) {
      return new Settings(
          dir.toAbsolutePath(),
          LocalKafka.DEV_PORT,
          DEV_CONTROLLER_PORT,
          Collections.singletonList(LocalKafka.DEV_TOPIC),
          LocalKafka.DEV_PARTITIONS,
          "1g",
          System.getProperty("java.class.path"));
    }

    /** Client port and controller port, both on 127.0.0.1. */
    public Settings ports(int port, int controllerPort) {
      if (port < 1 || port > 65535 || controllerPort < 1 || controllerPort > 65535) {
        throw new IllegalArgumentException(
            "ports must be 1-65535, got " + port + " and " + controllerPort);
      }
      if (port == controllerPort) {
        throw new IllegalArgumentException(
            "the client and controller ports must differ, both are " + port);
      }
      return new Settings(dir, port, controllerPort, topics, partitions, heap, classpath);
    }

    /** Topics created, if missing, with {@code partitions} partitions each. */
    public Settings topics(List<String> topics, int partitions) {
      if (partitions < 1) {
        throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
      }
      return new Settings(
          dir, port, controllerPort, List.copyOf(topics), partitions, heap, classpath);
    }

    /** The broker JVM's maximum heap, e.g. {@code 512m}. */
    public Settings heap(String heap) {
      if (!heap.matches("[0-9]+[kmgKMG]?")) {
        throw new IllegalArgumentException("heap must be a JVM size like 512m or 1g, got " + heap);
      }
      return new Settings(dir, port, controllerPort, topics, partitions, heap, classpath);
    }

    /** The classpath the broker JVM runs on (it must hold {@code kafka_2.13}). */
    public Settings classpath(String classpath) {
      return new Settings(dir, port, controllerPort, topics, partitions, heap, classpath);
    }
  }

  private final Path dir;
  private final long pid;
  private final String bootstrapServers;
  private final List<String> createdTopics;

  private KafkaBroker(Path dir, long pid, String bootstrapServers, List<String> createdTopics) {
    this.dir = dir;
    this.pid = pid;
    this.bootstrapServers = bootstrapServers;
    this.createdTopics = createdTopics;
  }

  /** The broker process id. */
  public long pid() {
    return pid;
  }

  /** {@code 127.0.0.1:port} of the client listener. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The topics this start created (the others existed already, with their records). */
  public List<String> createdTopics() {
    return createdTopics;
  }

  /** Where the broker's configuration, data, pid and log are. */
  public Path dir() {
    return dir;
  }

  /**
   * Starts the broker of {@code settings} unless one runs already from the same directory, waits
   * until it answers on its client port and creates the missing topics.
   *
   * @throws IllegalStateException if the broker exits or does not become ready within {@link
   *     #START_TIMEOUT} (the message holds the end of its log); a broker that did not become ready
   *     is stopped
   */
  public static KafkaBroker start(Settings settings) throws Exception {
    Path dir = settings.dir;
    Files.createDirectories(dir);
    Optional<ProcessHandle> running = running(dir);
    if (running.isPresent()) {
      throw new IllegalStateException(
          "a broker runs already from "
              + dir
              + " (pid "
              + running.get().pid()
              + "); stop it first");
    }
    Path properties = dir.resolve(SERVER_PROPERTIES);
    Files.write(properties, serverProperties(settings).getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve(LOG4J_FILE), LOG4J.getBytes(StandardCharsets.UTF_8));
    format(properties, dir.resolve(DATA_DIR));

    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + settings.heap);
    command.add("-Dlog4j2.configurationFile=" + dir.resolve(LOG4J_FILE).toUri());
    command.add("-cp");
    command.add(settings.classpath);
    command.add(SERVER_MAIN);
    command.add(properties.toString());
    File log = dir.resolve(LOG_FILE).toFile();
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .start();
    Files.write(
        dir.resolve(PID_FILE), Long.toString(process.pid()).getBytes(StandardCharsets.UTF_8));
    String bootstrap = "127.0.0.1:" + settings.port;
    try {
      awaitPort(process, settings.port, dir);
      List<String> created = new ArrayList<>();
      try (Admin admin = Admin.create(adminConfig(bootstrap))) {
        for (String topic : settings.topics) {
          if (LocalKafka.createTopic(admin, topic, settings.partitions)) {
            created.add(topic);
          } else {
            LocalKafka.awaitLeaders(
                admin,
                topic,
                admin
                    .describeTopics(Collections.singletonList(topic))
                    .allTopicNames()
                    .get(LocalKafka.ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .size());
          }
        }
      }
      return new KafkaBroker(dir, process.pid(), bootstrap, Collections.unmodifiableList(created));
    } catch (Exception | Error e) {
      stopProcess(process.toHandle(), STOP_TIMEOUT);
      Files.deleteIfExists(dir.resolve(PID_FILE));
      throw new IllegalStateException(
          "the Kafka broker in " + dir + " did not start: " + e.getMessage() + tail(log), e);
    }
  }

  /** Stops this broker (a controlled shutdown, SIGTERM) and waits; see {@link #stop(Path)}. */
  public void stop() throws IOException {
    stop(dir);
  }

  /**
   * Stops the broker started from {@code dir}, if one runs: SIGTERM, then up to {@link
   * #STOP_TIMEOUT} for its controlled shutdown, then SIGKILL. Returns whether one ran.
   */
  public static boolean stop(Path dir) throws IOException {
    Optional<ProcessHandle> running = running(dir.toAbsolutePath());
    Files.deleteIfExists(dir.toAbsolutePath().resolve(PID_FILE));
    if (running.isEmpty()) {
      return false;
    }
    stopProcess(running.get(), STOP_TIMEOUT);
    return true;
  }

  /**
   * The broker process started from {@code dir}, if its pid file names a live process that runs
   * {@value #SERVER_MAIN} with this directory's {@code server.properties} (a stale pid file, or a
   * pid reused by another process, is no broker).
   */
  public static Optional<ProcessHandle> running(Path dir) throws IOException {
    Path pidFile = dir.resolve(PID_FILE);
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(new String(Files.readAllBytes(pidFile), StandardCharsets.UTF_8).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    String properties = dir.resolve(SERVER_PROPERTIES).toString();
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            h -> {
              List<String> args = arguments(h);
              int main = args.indexOf(SERVER_MAIN);
              return main >= 0 && main + 1 < args.size() && args.get(main + 1).equals(properties);
            });
  }

  /**
   * The command line of a process. {@link ProcessHandle.Info#arguments()} comes back empty for a
   * command line as long as the broker's (its classpath is ~30 KB), so on Linux it is read from
   * {@code /proc/<pid>/cmdline}.
   */
  private static List<String> arguments(ProcessHandle process) {
    Path cmdline = Paths.get("/proc", Long.toString(process.pid()), "cmdline");
    try {
      if (Files.isReadable(cmdline)) {
        String all = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
        return List.of(all.split("\u0000"));
      }
    } catch (IOException gone) {
      return List.of();
    }
    return process.info().arguments().map(List::of).orElse(List.of());
  }

  /**
   * Stops a process as a controlled shutdown: SIGTERM, up to {@code timeout} for it to exit (its
   * shutdown hooks run), then SIGKILL.
   */
  public static void stopProcess(ProcessHandle process, Duration timeout) {
    process.destroy();
    try {
      process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception notYet) {
      process.destroyForcibly();
      try {
        process.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // SIGKILL cannot be refused; the process is gone or a zombie of a dead parent
      }
    }
  }

  /** The broker's configuration: one combined KRaft node on loopback, its log in {@code data/}. */
  static String serverProperties(Settings s) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    config.put("controller.quorum.voters", "1@127.0.0.1:" + s.controllerPort);
    config.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + s.port + ",CONTROLLER://127.0.0.1:" + s.controllerPort);
    config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + s.port);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("log.dirs", s.dir.resolve(DATA_DIR).toString());
    config.putAll(LocalKafka.brokerDefaults());
    StringBuilder out = new StringBuilder();
    out.append(
            "# Written by io.collabpipeline.tools.devstack.KafkaBroker on every start; edits are")
        .append(" overwritten.\n");
    for (Map.Entry<String, String> e : config.entrySet()) {
      out.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    }
    return out.toString();
  }

  /**
   * Formats {@code data} with Kafka's storage tool unless it holds a formatted log already ({@code
   * meta.properties}): a restart must never lose the log.
   */
  private static void format(Path properties, Path data) throws IOException {
    if (Files.exists(data.resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int code;
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      code =
          kafka.tools.StorageTool.execute(
              new String[] {
                "format",
                "--config",
                properties.toString(),
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--ignore-formatted"
              },
              out);
    }
    if (code != 0 || !Files.exists(data.resolve("meta.properties"))) {
      throw new IllegalStateException(
          "kafka-storage format of "
              + data
              + " failed (exit "
              + code
              + "): "
              + output.toString(StandardCharsets.UTF_8));
    }
  }

  private static void awaitPort(Process process, int port, Path dir) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the broker exited with code " + process.exitValue());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "not listening on 127.0.0.1:" + port + " after " + START_TIMEOUT.toSeconds() + " s");
      }
      Thread.sleep(200);
    }
  }

  private static Map<String, Object> adminConfig(String bootstrap) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
    return config;
  }

  private static String tail(File log) {
    try {
      List<String> lines = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
      return "\nlast lines of "
          + log
          + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  private static final String LOG4J =
      "# Written by KafkaBroker: the broker's start, stop and log recovery at INFO, the rest at"
          + " WARN.\n"
          + "status = warn\n"
          + "appender.out.type = Console\n"
          + "appender.out.name = out\n"
          + "appender.out.layout.type = PatternLayout\n"
          + "appender.out.layout.pattern = %d{ISO8601} %-5level %c{1} - %msg%n\n"
          + "rootLogger.level = warn\n"
          + "rootLogger.appenderRef.out.ref = out\n"
          + "logger.server.name = kafka.server.KafkaRaftServer\n"
          + "logger.server.level = info\n"
          + "logger.logmanager.name = kafka.log.LogManager\n"
          + "logger.logmanager.level = info\n";

  /**
   * {@code start --dir=D [--port=N] [--controllerPort=N] [--topics=a,b] [--partitions=N]
   * [--heap=1g]}: starts the broker (see {@link #start}), prints one line {@code kafka ready:
   * bootstrap=127.0.0.1:PORT ...} and exits, leaving the broker running; {@code stop --dir=D}:
   * stops it; {@code status --dir=D}: exit 0 if it runs, 3 if not. Exit code 2 on bad options, 1 if
   * the broker cannot start.
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !List.of("start", "stop", "status").contains(args[0])) {
      err.println(
          "usage: KafkaBroker start|stop|status --dir=DIR [--port=N] [--controllerPort=N]"
              + " [--topics=a,b] [--partitions=N] [--heap=1g]");
      return 2;
    }
    String command = args[0];
    Path dir = null;
    Integer port = null;
    Integer controllerPort = null;
    List<String> topics = Collections.singletonList(LocalKafka.DEV_TOPIC);
    int partitions = LocalKafka.DEV_PARTITIONS;
    String heap = "1g";
    try {
      for (int i = 1; i < args.length; i++) {
        String arg = args[i];
        String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
        if (arg.startsWith("--dir=")) {
          dir = Paths.get(value).toAbsolutePath();
        } else if (arg.startsWith("--port=")) {
          port = LocalKafka.parseInt("--port", value, 1, 65535);
        } else if (arg.startsWith("--controllerPort=")) {
          controllerPort = LocalKafka.parseInt("--controllerPort", value, 1, 65535);
        } else if (arg.startsWith("--topics=")) {
          topics = new ArrayList<>(KafkaSourceConfig.topics(value));
        } else if (arg.startsWith("--partitions=")) {
          partitions = LocalKafka.parseInt("--partitions", value, 1, 1000);
        } else if (arg.startsWith("--heap=")) {
          heap = value;
        } else {
          throw new IllegalArgumentException(
              "unknown option "
                  + arg.split("=", 2)[0]
                  + " (known: --dir, --port, --controllerPort, --topics, --partitions, --heap)");
        }
      }
      if (dir == null) {
        throw new IllegalArgumentException("--dir=DIR is required");
      }
      int p = port == null ? LocalKafka.DEV_PORT : port;
      Settings settings =
          Settings.in(dir)
              .ports(p, controllerPort == null ? p + 1 : controllerPort)
              .topics(topics, partitions)
              .heap(heap);
      switch (command) {
        case "status":
          Optional<ProcessHandle> running = running(dir);
          if (running.isPresent()) {
            out.println("kafka: running (pid " + running.get().pid() + ", data " + dir + ")");
            return 0;
          }
          out.println("kafka: not running");
          return 3;
        case "stop":
          out.println(
              stop(dir) ? "kafka: stopped (log kept in " + dir + ")" : "kafka: not running");
          return 0;
        default:
          Optional<ProcessHandle> already = running(dir);
          if (already.isPresent()) {
            out.println("kafka: already running (pid " + already.get().pid() + ")");
            return 0;
          }
          KafkaBroker broker = start(settings);
          out.println(
              "kafka ready: bootstrap="
                  + broker.bootstrapServers()
                  + " topics="
                  + String.join(",", topics)
                  + (broker.createdTopics().isEmpty()
                      ? " (kept)"
                      : " (created " + String.join(",", broker.createdTopics()) + ")")
                  + " partitions="
                  + partitions
                  + " timestamps=LogAppendTime pid="
                  + broker.pid()
                  + " log.dirs="
                  + dir.resolve(DATA_DIR));
          out.flush();
          return 0;
      }
    } catch (IllegalArgumentException e) {
      err.println("kafka-broker: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("kafka-broker: " + e.getMessage());
      return 1;
    }
  }
}
