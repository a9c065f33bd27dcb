package io.collabpipeline.tools.devstack;

import io.collabpipeline.pipelines.options.S3Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.beam.sdk.options.PipelineOptions;
import software.amazon.awssdk.regions.Region;

/**
 * A local S3-compatible endpoint: Adobe S3Mock's standalone jar run as a separate JVM ({@code java
 * -jar}, the same {@code java} as this process) on a loopback port, for the tests and the dev
 * stack.
 *
 * <p>It runs out of process on purpose: in-process, S3Mock needs Jackson and AWS SDK versions that
 * Beam was not built against. Its objects live under {@code <dir>/store} (kept after {@link
 * #close()}, so a dev stack restart keeps its data); its log goes to {@code <dir>/s3mock.log};
 * {@code <dir>/credentials.properties} holds dummy credentials (S3Mock checks none) for {@code
 * --s3Credentials=file:...}. The jar is {@value #DEFAULT_JAR}, copied there by the module's pom at
 * generate-resources, or wherever the system property {@value #JAR_PROPERTY} points.
 *
 * <p>Traps: S3Mock's HTTP connector listens on all interfaces whatever {@code server.address} says
 * (the endpoint handed out is the loopback address); its HTTPS connector is moved to a free port so
 * two instances never collide on S3Mock's default 9191.
 */
public final class LocalS3 implements AutoCloseable {
  /** System property naming the S3Mock standalone jar. */
  public static final String JAR_PROPERTY = "collab.s3mock.jar";

  /** Where the tools pom copies the jar, relative to the tools module. */
  public static final String DEFAULT_JAR = "target/s3mock/s3mock.jar";

  /** The tools module's directory, relative to the repository root. */
  private static final String TOOLS_MODULE = "tools";

  /** The dev stack's fixed HTTP port. */
  public static final int DEV_PORT = 9090;

  /** The dev stack's buckets: raw store, quarantine, Snowflake staging. */
  public static final List<String> DEV_BUCKETS =
      List.of("collab-raw", "collab-quarantine", "collab-staging");

  /** The region S3Mock reports; any region works with it. */
  public static final Region REGION = Region.US_EAST_1;

  static final String CREDENTIALS_FILE = "credentials.properties";
  private static final long START_TIMEOUT_MILLIS = 180_000;

  private final Process process;
  private final int port;
  private final Path dir;

  private LocalS3(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  /**
   * Starts S3Mock on a free loopback port with {@code buckets} created, its files under {@code
   * dir}.
   */
  public static LocalS3 start(Path dir, String... buckets) throws IOException {
    return start(dir, 0, buckets);
  }

  /**
   * Starts S3Mock on {@code port} (0: a free port) with {@code buckets} created, its files under
   * {@code dir}, and waits until it answers (at most three minutes; a JVM start on a busy two-core
   * machine takes 10-40 s).
   *
   * @throws IOException if the jar is missing, the port is taken or S3Mock does not come up; the
   *     message says which
   */
  public static LocalS3 start(Path dir, int port, String... buckets) throws IOException {
    Path jar = jar();
    Files.createDirectories(dir.resolve("store"));
    writeCredentials(dir.resolve(CREDENTIALS_FILE));
    // A free port can be taken between the probe and S3Mock's bind: retry a chosen port a few
    // times.
    int attempts = port == 0 ? 3 : 1;
    IOException last = null;
    for (int i = 0; i < attempts; i++) {
      int p = port == 0 ? freePort() : port;
      try {
        return launch(jar, dir, p, buckets);
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  /**
   * The S3Mock jar: the system property {@value #JAR_PROPERTY}, else {@value #DEFAULT_JAR} below
   * the tools module, seen from the tools module, from the repository root, or from a sibling
   * module (the integration tests run there).
   */
  public static Path jar() throws IOException {
    String configured = System.getProperty(JAR_PROPERTY);
    List<Path> candidates = new ArrayList<>();
    if (configured != null && !configured.isEmpty()) {
      candidates.add(Paths.get(configured));
    } else {
      candidates.add(Paths.get(DEFAULT_JAR));
      candidates.add(Paths.get(TOOLS_MODULE).resolve(DEFAULT_JAR));
      candidates.add(Paths.get("..", TOOLS_MODULE).resolve(DEFAULT_JAR));
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) {
        return c.toAbsolutePath();
      }
    }
    throw new IOException(
        "S3Mock jar not found at "
            + candidates.stream()
                .map(p -> p.toAbsolutePath().toString())
                .collect(Collectors.joining(" or "))
            + ": build it with 'mvn -o -pl tools generate-resources'"
            + " or point -D"
            + JAR_PROPERTY
            + "=/path/to/s3mock-exec.jar at it");
  }

  private static LocalS3 launch(Path jar, Path dir, int port, String... buckets)
      throws IOException {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toString(),
                "--http.port=" + port,
                "--server.port=0",
                "--server.address=" + InetAddress.getLoopbackAddress().getHostAddress(),
                "--com.adobe.testing.s3mock.store.root=" + dir.resolve("store").toAbsolutePath(),
                "--com.adobe.testing.s3mock.store.retainFilesOnExit=true",
                "--com.adobe.testing.s3mock.max-payload-size=512MB"));
    if (buckets.length > 0) {
      command.add("--com.adobe.testing.s3mock.store.initialBuckets=" + String.join(",", buckets));
    }
    Path log = dir.resolve("s3mock.log");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
    LocalS3 s3 = new LocalS3(process, port, dir);
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
    while (true) {
      if (!process.isAlive()) {
        throw new IOException(
            "S3Mock exited with code "
                + process.exitValue()
                + " while starting on port "
                + port
                + " (see "
                + log
                + "): "
                + lastLine(log));
      }
      if (s3.answers()) {
        return s3;
      }
      if (System.currentTimeMillis() > deadline) {
        s3.close();
        throw new IOException(
            "S3Mock did not answer on port "
                + port
                + " within "
                + START_TIMEOUT_MILLIS / 1000
                + " s (see "
                + log
                + ")");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        s3.close();
        throw new IOException("interrupted while waiting for S3Mock", e);
      }
    }
  }

  /** Whether S3Mock answers a ListBuckets request. */
  private boolean answers() {
    try {
      HttpURLConnection c = (HttpURLConnection) endpoint().toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static void writeCredentials(Path file) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(
          "# Dummy credentials for the local S3 endpoint (S3Mock checks none). Never real ones here.\n");
      w.write("aws_access_key_id=collab-local\n");
      w.write("aws_secret_access_key=collab-local-secret\n");
    }
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).trim();
        }
      }
      return "(empty log)";
    } catch (IOException | UncheckedIOException e) {
      return "(no log)";
    }
  }

  /** The HTTP port. */
  public int port() {
    return port;
  }

  /**
   * {@code http://127.0.0.1:<port>}: numeric, so even without path style the SDK addresses buckets
   * path-style.
   */
  public URI endpoint() {
    return URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port);
  }

  /**
   * {@code file:<dir>/credentials.properties}, the {@code --s3Credentials} reference for this
   * endpoint.
   */
  public String credentialsReference() {
    return "file:" + dir.resolve(CREDENTIALS_FILE).toAbsolutePath();
  }

  /** The directory holding the store, the log and the credentials file. */
  public Path directory() {
    return dir;
  }

  /** The command-line options that point the pipeline's S3 file system here. */
  public List<String> pipelineArgs() {
    return List.of(
        "--awsRegion=" + REGION.id(),
        "--endpoint=" + endpoint(),
        "--s3PathStyle=true",
        "--s3Credentials=" + credentialsReference());
  }

  /**
   * Sets the same options as {@link #pipelineArgs()} on {@code options}. Then call {@link
   * io.collabpipeline.pipelines.s3.S3Setup#configure} to validate them and register the file
   * system.
   */
  public <T extends PipelineOptions> T applyTo(T options) {
    S3Options s3 = options.as(S3Options.class);
    s3.setAwsRegion(REGION);
    s3.setEndpoint(endpoint());
    s3.setS3PathStyle(true);
    s3.setS3Credentials(credentialsReference());
    return options;
  }

  /** Stops the S3Mock process (its store stays on disk). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the dev stack's S3 endpoint and blocks until the process is stopped (SIGTERM/Ctrl-C
   * stops S3Mock too). Options: {@code --dir=DIR} (default {@code collab-data/s3}), {@code
   * --port=N} (default {@value #DEV_PORT}), {@code --buckets=a,b} (default the {@link
   * #DEV_BUCKETS}). Prints the endpoint and the pipeline options to use.
   */
  public static void main(String[] args) throws Exception {
    Path dir = Paths.get("collab-data", "s3");
    int port = DEV_PORT;
    List<String> buckets = DEV_BUCKETS;
    for (String arg : args) {
      if (arg.startsWith("--dir=")) {
        dir = Paths.get(arg.substring("--dir=".length()));
      } else if (arg.startsWith("--port=")) {
        try {
          port = Integer.parseInt(arg.substring("--port=".length()));
        } catch (NumberFormatException e) {
          port = -1;
        }
        if (port < 0 || port > 65535) {
          System.err.println(
              "local-s3: --port=" + arg.substring("--port=".length()) + " is not a port number");
          System.exit(2);
        }
      } else if (arg.startsWith("--buckets=")) {
        buckets = Arrays.asList(arg.substring("--buckets=".length()).split(","));
      } else {
        System.err.println(
            "local-s3: unknown option " + arg + " (use --dir=DIR --port=N --buckets=a,b)");
        System.exit(2);
      }
    }
    LocalS3 s3;
    try {
      s3 = start(dir.toAbsolutePath(), port, buckets.toArray(new String[0]));
    } catch (IOException e) {
      System.err.println("local-s3: " + e.getMessage());
      System.exit(1);
      return;
    }
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.set(true);
                  s3.close();
                },
                "local-s3-shutdown"));
    System.out.println(
        "local-s3: S3Mock at "
            + s3.endpoint()
            + ", buckets "
            + String.join(",", buckets)
            + ", store "
            + dir.resolve("store").toAbsolutePath());
    System.out.println("local-s3: pipeline options: " + String.join(" ", s3.pipelineArgs()));
    System.out.flush();
    int code = s3.process.waitFor();
    if (!stopping.get()) {
      // S3Mock died on its own: say so and fail, so the dev stack's script notices.
      System.err.println(
          "local-s3: S3Mock exited with code " + code + " (see " + dir.resolve("s3mock.log") + ")");
      System.exit(1);
    }
  }
}
