package io.collabpipeline.it;

import io.collabpipeline.pipelines.CollabPipeline;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A standalone Flink 1.19 session cluster of its own for one test, started and stopped by {@code
 * bin/collab-flink-cluster} (a JobManager and two TaskManager processes from the flink-cluster
 * module's classpath), on free ports, with its state directory (pids, logs) and a copy of {@code
 * runner-configs/flink/standalone} under the test's directory, so that it never meets the
 * developer's cluster on 8081/6123 or another test's. The copy is the standalone profile as it is
 * (RocksDB, the restart strategy, 2 slots per TaskManager, parallelism 2, tasks spread over both)
 * but for where checkpoints and temporary files go and the suite's 2 s checkpoint interval.
 *
 * <p>The job reaches it as {@code bin/collab-flink-cluster submit} sends the job jar: {@code flink
 * run} (Flink's CliFrontend, attached), the job's {@code main} in the client with {@code
 * --flinkMaster=[auto]}. The jar is a manifest naming {@link CollabPipeline}; the code comes from
 * this test's classpath, handed to {@code flink run -C} as file URLs (without Flink's own jars, as
 * the shaded job jar leaves them out): the client and both TaskManagers, on this machine, read the
 * same files. Building the shaded jar of {@code -Pjob-jar} (~300 MB) inside the test would cost
 * minutes; Beam's own remote submission ({@code --flinkMaster=host:port} from a plain JVM) would
 * upload the whole 450 MB classpath to the JobManager and each TaskManager.
 */
final class StandaloneCluster implements ChaosRun.Cluster, AutoCloseable {
  private static final DateTimeFormatter LOG_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS", Locale.ROOT);
  private static final Pattern TM_ID = Pattern.compile("\"taskmanager-id\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern JOB =
      Pattern.compile("\"jid\"\\s*:\\s*\"([0-9a-f]+)\"[^}]*?\"state\"\\s*:\\s*\"([A-Z]+)\"");
  private static final Pattern VERTEX_ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]{32})\"");
  private static final Pattern TASKMANAGER =
      Pattern.compile("\"id\"\\s*:\\s*\"(taskmanager-\\d+)\"[^}]*?\"freeSlots\"\\s*:\\s*(\\d+)");

  private final Path root;
  private final Path dir;
  private final Path state;
  private final Path conf;
  private final int restPort;
  private final int rpcPort;
  private String killed;
  private long killedMillis;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private StandaloneCluster(Path dir, int restPort, int rpcPort) {
    this.root = ChaosRun.repositoryRoot();
    this.dir = dir;
    this.state = dir.resolve("state");
    this.conf = dir.resolve("conf");
    this.restPort = restPort;
    this.rpcPort = rpcPort;
  }

  /**
   * Starts the cluster ({@code bin/collab-flink-cluster start}, which returns when both
   * TaskManagers have registered), its job checkpointing into {@code checkpoints}.
   */
  static StandaloneCluster start(Path dir, Path checkpoints) throws Exception {
    StandaloneCluster c = new StandaloneCluster(dir, freePort(), freePort());
    c.writeConf(checkpoints);
    try {
      c.script(240, "start");
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
    return c;
  }

  String rest() {
    return "http://127.0.0.1:" + restPort;
  }

  Path stateDir() {
    return state;
  }

  /** The standalone profile's config.yaml with this test's directories and checkpoint interval. */
  private void writeConf(Path checkpoints) throws IOException {
    Path source = root.resolve("runner-configs/flink/standalone");
    Files.createDirectories(conf);
    Files.createDirectories(state);
    Files.copy(source.resolve("log4j.properties"), conf.resolve("log4j.properties"));
    Map<String, String> replaced = new LinkedHashMap<>();
    replaced.put("state.checkpoints.dir", checkpoints.toUri().toString());
    replaced.put("state.savepoints.dir", dir.resolve("savepoints").toUri().toString());
    replaced.put("execution.checkpointing.interval", ChaosRun.CHECKPOINT_MILLIS + " ms");
    replaced.put("execution.checkpointing.min-pause", "500 ms");
    replaced.put("rest.port", Integer.toString(restPort));
    replaced.put("jobmanager.rpc.port", Integer.toString(rpcPort));
    List<String> lines = new ArrayList<>();
    lines.add(
        "# derived by the chaos suite (StandaloneCluster) from " + source.resolve("config.yaml"));
    for (String line : Files.readAllLines(source.resolve("config.yaml"), StandardCharsets.UTF_8)) {
      int colon = line.indexOf(':');
      String key = colon > 0 && !line.startsWith("#") ? line.substring(0, colon).trim() : null;
      if (key != null && replaced.containsKey(key)) {
        lines.add(key + ": " + replaced.remove(key));
      } else {
        lines.add(line);
      }
    }
    if (!replaced.isEmpty()) {
      throw new IllegalStateException("not in the standalone config.yaml: " + replaced.keySet());
    }
    // Temporary files (blobs, RocksDB's working directories) under the test's directory, so that a
    // killed TaskManager's leave with it.
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    lines.add("io.tmp.dirs: " + tmp);
    lines.add("blob.storage.directory: " + Files.createDirectories(dir.resolve("blobs")));
    Files.write(conf.resolve("config.yaml"), lines, StandardCharsets.UTF_8);
  }

  /** {@code bin/collab-flink-cluster} with this cluster's settings, as a command line. */
  private List<String> scriptCommand(String... args) {
    List<String> c = new ArrayList<>();
    c.add("env");
    c.add("COLLAB_FLINK_STATE_DIR=" + state);
    c.add("COLLAB_FLINK_CONF_DIR=" + conf);
    c.add("COLLAB_FLINK_REST_PORT=" + restPort);
    c.add("COLLAB_FLINK_RPC_PORT=" + rpcPort);
    c.add("COLLAB_FLINK_TASKMANAGERS=2");
    c.add(root.resolve("bin/collab-flink-cluster").toString());
    c.addAll(List.of(args));
    return c;
  }

  private String script(int timeoutSeconds, String... args) throws Exception {
    File log = dir.resolve("cluster-" + args[0] + ".txt").toFile();
    Process p =
        new ProcessBuilder(scriptCommand(args))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          "bin/collab-flink-cluster "
              + args[0]
              + ": no end after "
              + timeoutSeconds
              + " s\n"
              + tail(log));
    }
    String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "bin/collab-flink-cluster " + args[0] + " exited " + p.exitValue() + "\n" + out + logs());
    }
    return out;
  }

  /**
   * {@code bin/collab-flink-cluster submit -C <url>... <jar> <args> --flinkMaster=<this cluster>}.
   */
  @Override
  public List<String> command(List<String> pipelineArgs) throws IOException {
    List<String> c = new ArrayList<>(List.of("submit"));
    for (String entry : StreamRuns.testClasspath().split(File.pathSeparator)) {
      if (entry.isEmpty() || leftOut(entry)) {
        continue;
      }
      c.add("-C");
      c.add(Path.of(entry).toAbsolutePath().toUri().toString());
    }
    c.add(mainJar().toString());
    c.addAll(pipelineArgs);
    c.add("--flinkMaster=127.0.0.1:" + restPort);
    return scriptCommand(c.toArray(new String[0]));
  }

  /** What the shaded job jar leaves out: Flink itself (the cluster's), JUnit and Hamcrest. */
  private static boolean leftOut(String entry) {
    String e = entry.replace(File.separatorChar, '/');
    return e.contains("/org/apache/flink/") || e.contains("/junit/") || e.contains("/hamcrest/");
  }

  /** A jar that only names the main class: what {@code flink run} runs, its code from -C. */
  private Path mainJar() throws IOException {
    Path jar = dir.resolve("collab-pipeline-main.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CollabPipeline.class.getName());
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    return jar;
  }

  /** The pid of a process of this cluster ("jobmanager", "taskmanager-1"), from its pid file. */
  long pid(String name) throws IOException {
    return Long.parseLong(Files.readString(state.resolve(name + ".pid")).trim());
  }

  /** Sends SIGKILL ({@code kill -9}) to the named process and waits until it is gone. */
  void kill9(String name) throws Exception {
    long pid = pid(name);
    killed = name;
    killedMillis = System.currentTimeMillis();
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -9 " + pid + " (" + name + ") failed");
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    long deadline = System.currentTimeMillis() + 10_000L;
    while (h.isPresent() && h.get().isAlive() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50L);
    }
  }

  /** The TaskManagers with a slot in use, from the REST API's {@code /taskmanagers}. */
  TreeSet<String> busyTaskManagers() throws Exception {
    TreeSet<String> busy = new TreeSet<>();
    Matcher m = TASKMANAGER.matcher(get("/taskmanagers"));
    while (m.find()) {
      if (Integer.parseInt(m.group(2)) < 2) {
        busy.add(m.group(1));
      }
    }
    return busy;
  }

  /** The job on the cluster (there is one at a time here) and its state, if any. */
  Optional<String[]> job() throws Exception {
    Matcher m = JOB.matcher(get("/jobs/overview"));
    String[] last = null;
    while (m.find()) {
      if (last == null || !isTerminal(m.group(2))) {
        last = new String[] {m.group(1), m.group(2)};
      }
    }
    return Optional.ofNullable(last);
  }

  /** The TaskManagers that run the job's tasks now. */
  TreeSet<String> taskManagersOf(String jobId) throws Exception {
    TreeSet<String> tms = new TreeSet<>();
    String job = get("/jobs/" + jobId);
    int vertices = job.indexOf("\"vertices\"");
    Matcher v = VERTEX_ID.matcher(vertices < 0 ? "" : job.substring(vertices));
    TreeSet<String> ids = new TreeSet<>();
    while (v.find()) {
      ids.add(v.group(1));
    }
    for (String id : ids) {
      Matcher t = TM_ID.matcher(get("/jobs/" + jobId + "/vertices/" + id + "/taskmanagers"));
      while (t.find()) {
        tms.add(t.group(1));
      }
    }
    return tms;
  }

  /** Lines of the JobManager's log that contain {@code fragment}. */
  List<String> jobManagerLog(String fragment) throws IOException {
    Path log = state.resolve("jobmanager.log");
    if (!Files.isRegularFile(log)) {
      return List.of();
    }
    try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(fragment)).collect(java.util.stream.Collectors.toList());
    }
  }

  /**
   * From the JobManager's log and REST API: how often it restarted the job, when it dropped the
   * killed TaskManager, and where the job's tasks run now.
   */
  @Override
  public String recovery() throws Exception {
    String[] job = job().orElseThrow(() -> new AssertionError("no job on the cluster"));
    long restarts = jobManagerLog("switched from state RESTARTING to RUNNING").size();
    String dropped = "";
    if (killed != null) {
      for (String line : jobManagerLog("Disconnect TaskExecutor " + killed + " ")) {
        long at =
            LocalDateTime.parse(line.substring(0, 23), LOG_TIME)
                .atZone(ZoneId.systemDefault())
                .toInstant()
                .toEpochMilli();
        dropped =
            String.format(
                Locale.ROOT,
                "; it dropped %s as unreachable %.0f s after the kill",
                killed,
                (at - killedMillis) / 1000.0);
        break;
      }
    }
    return String.format(
        Locale.ROOT,
        "the job failed at once (its tasks lost their peers on the killed TaskManager); the"
            + " JobManager restarted it from its last checkpoint %d %s (exponential-delay restart"
            + " strategy)%s; the job then ran in the 2 slots of %s alone",
        restarts,
        restarts == 1 ? "time" : "times",
        dropped,
        String.join(", ", taskManagersOf(job[0])));
  }

  /** Cancels every job that has not ended ({@code PATCH /jobs/:id?mode=cancel}) and waits. */
  @Override
  public void cancelJobs() throws Exception {
    Matcher m = JOB.matcher(get("/jobs/overview"));
    List<String> cancelled = new ArrayList<>();
    while (m.find()) {
      if (!isTerminal(m.group(2))) {
        http.send(
            HttpRequest.newBuilder(URI.create(rest() + "/jobs/" + m.group(1) + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
        cancelled.add(m.group(1));
      }
    }
    long deadline = System.currentTimeMillis() + 60_000L;
    for (String id : cancelled) {
      while (!isTerminal(stateOf(id)) && System.currentTimeMillis() < deadline) {
        Thread.sleep(200L);
      }
    }
  }

  private String stateOf(String jobId) throws Exception {
    Matcher m = JOB.matcher(get("/jobs/overview"));
    while (m.find()) {
      if (m.group(1).equals(jobId)) {
        return m.group(2);
      }
    }
    return "UNKNOWN";
  }

  private static boolean isTerminal(String state) {
    return state.equals("CANCELED") || state.equals("FAILED") || state.equals("FINISHED");
  }

  String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(rest() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  /**
   * Stops the cluster ({@code bin/collab-flink-cluster stop}), then SIGKILLs whatever of it still
   * runs (its pid files name only processes it started), and keeps the logs under {@code
   * target/chaos-cluster}.
   */
  @Override
  public void close() throws Exception {
    try {
      script(120, "stop");
    } catch (Exception | AssertionError e) {
      System.err.println("stopping the Flink cluster: " + e);
    }
    if (Files.isDirectory(state)) {
      try (DirectoryStream<Path> pids = Files.newDirectoryStream(state, "*.pid")) {
        for (Path p : pids) {
          ProcessHandle.of(Long.parseLong(Files.readString(p).trim()))
              .filter(h -> h.info().commandLine().orElse("").contains(state.toString()))
              .ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      keepLogs();
    }
  }

  private void keepLogs() {
    try {
      Path target = Files.createDirectories(Path.of("target", "chaos-cluster"));
      try (DirectoryStream<Path> logs = Files.newDirectoryStream(state, "*.{log,out}")) {
        for (Path l : logs) {
          Files.copy(
              l,
              target.resolve(l.getFileName()),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      System.err.println("cannot keep the Flink cluster's logs: " + e);
    }
  }

  /** The last lines of each process's log, for a failure message. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("jobmanager", "taskmanager-1", "taskmanager-2", "client")) {
      for (String ext : List.of(".log", ".out")) {
        Path f = state.resolve(name + ext);
        if (Files.isRegularFile(f)) {
          sb.append("--- ").append(f).append('\n').append(tail(f.toFile()));
        }
      }
    }
    return sb.toString();
  }

  private static String tail(File f) {
    try {
      List<String> lines = Files.readAllLines(f.toPath(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())) + "\n";
    } catch (IOException e) {
      return "(" + e + ")\n";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
