package io.collabpipeline.pipelines.warehouse;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.rules.ExternalResource;
import org.junit.rules.TemporaryFolder;

/**
 * A throw-away PostgreSQL server for one test class, as a {@code @ClassRule}: {@code initdb} and
 * {@code pg_ctl} of the Debian package ({@code /usr/lib/postgresql/<version>/bin}, the newest
 * version) into a temporary folder, listening on a free loopback port only, trust authentication,
 * run as the {@code postgres} OS user when the tests run as root. It is stopped after the class
 * (and at JVM exit if that did not happen). Missing binaries FAIL the class: a skipped warehouse
 * test would prove nothing.
 */
public final class LocalPostgres extends ExternalResource {
  private static final String BIN_ROOT = "/usr/lib/postgresql";
  private static final String SUPERUSER = "postgres";

  private final TemporaryFolder folder = new TemporaryFolder();
  private final AtomicInteger databases = new AtomicInteger();
  private Path bin;
  private Path dataDir;
  private int port;
  private Thread shutdownHook;

  @Override
  protected void before() throws Throwable {
    bin = findBinaries();
    folder.create();
    Path root = folder.getRoot().toPath();
    boolean asRoot = "root".equals(System.getProperty("user.name"));
    if (asRoot) {
      UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
      UserPrincipal postgres = users.lookupPrincipalByName(SUPERUSER);
      Files.setOwner(root, postgres);
    }
    dataDir = root.resolve("data");
    port = freeLoopbackPort();
    run(
        bin.resolve("initdb").toString(),
        "-D",
        dataDir.toString(),
        "-U",
        SUPERUSER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync");
    shutdownHook = new Thread(this::stopQuietly, "stop-test-postgres");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    startServer();
  }

  /**
   * Starts the server again after {@link #stop()}, on the same port and data: the warehouse coming
   * back after an outage.
   */
  public void start() throws IOException, InterruptedException {
    startServer();
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast}: open connections are terminated, as when a
   * warehouse goes down), keeping its data for {@link #start()}.
   */
  public void stop() throws IOException, InterruptedException {
    run(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop");
  }

  private void startServer() throws IOException, InterruptedException {
    Path root = folder.getRoot().toPath();
    run(
        bin.resolve("pg_ctl").toString(),
        "-D",
        dataDir.toString(),
        "-l",
        root.resolve("server.log").toString(),
        "-o",
        "-c listen_addresses=127.0.0.1 -p "
            + port
            + " -c unix_socket_directories="
            + root
            + " -c fsync=off",
        "-w",
        "-t",
        "60",
        "start");
  }

  @Override
  protected void after() {
    stopQuietly();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
    folder.delete();
  }

  /** A new, empty database on this server; returns its JDBC URL. */
  public String newDatabaseUrl() throws Exception {
    String name = "warehouse_" + databases.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"));
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + SUPERUSER;
  }

  private synchronized void stopQuietly() {
    if (dataDir == null || !Files.exists(dataDir.resolve("postmaster.pid"))) {
      return;
    }
    try {
      run(
          bin.resolve("pg_ctl").toString(),
          "-D",
          dataDir.toString(),
          "-m",
          "immediate",
          "-w",
          "stop");
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println(
          "could not stop the test PostgreSQL in " + dataDir + ": " + e.getMessage());
    }
  }

  private static Path findBinaries() throws IOException {
    Path root = Paths.get(BIN_ROOT);
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        Path newest =
            versions
                .filter(
                    v ->
                        Files.isExecutable(v.resolve("bin/initdb"))
                            && Files.isExecutable(v.resolve("bin/pg_ctl")))
                .max(Comparator.comparingInt(LocalPostgres::majorVersion))
                .orElse(null);
        if (newest != null) {
          return newest.resolve("bin");
        }
      }
    }
    throw new AssertionError(
        "PostgreSQL server binaries not found ("
            + BIN_ROOT
            + "/*/bin/initdb): run apt-get install -y postgresql");
  }

  private static int majorVersion(Path versionDir) {
    try {
      return Integer.parseInt(versionDir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Runs a PostgreSQL tool (as the postgres user when root) and fails with its output if it does
   * not succeed.
   */
  private void run(String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      full.addAll(Arrays.asList("runuser", "-u", SUPERUSER, "--"));
    }
    full.addAll(Arrays.asList(command));
    File log = folder.getRoot().toPath().resolve("tool-" + System.nanoTime() + ".log").toFile();
    Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", full));
    }
    if (p.exitValue() != 0) {
      String output = new String(Files.readAllBytes(log.toPath()), StandardCharsets.UTF_8);
      Path serverLog = folder.getRoot().toPath().resolve("server.log");
      if (Files.exists(serverLog)) {
        output +=
            "\nserver log:\n" + new String(Files.readAllBytes(serverLog), StandardCharsets.UTF_8);
      }
      throw new IllegalStateException(
          String.join(" ", full) + " exited with " + p.exitValue() + ":\n" + output);
    }
  }
}
