package io.collabpipeline.tools.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.pipelines.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The benchmark's results file ({@code bin/collab-benchmark --results=FILE}), read by the cost
 * command ({@code bin/collab-cost --benchmark=FILE}). One JSON object:
 *
 * <pre>{@code
 * {
 *   "format": "collab-benchmark-results/1",
 *   "date": "2026-12-02",              // UTC date of the run
 *   "javaVersion": "17.0.15",
 *   "cores": 2,                        // processors the JVM saw
 *   "loadAverage": 1.9,                // 1-minute load average at the end (Linux), else absent
 *   "note": "...",                     // optional, free text (e.g. where hand-written figures come from)
 *   "modes": {
 *     "streaming": {                   // parse, batch, streaming, replay, flinksql
 *       "eventsPerSecond": 9137.0,     // median of the repeats
 *       "medianSeconds": 10.94,
 *       "events": 100000,              // events per run (replay: events read back from the raw store)
 *       "parallelism": 2,
 *       "cores": 2,
 *       "date": "2026-12-02",
 *       "javaVersion": "17.0.15"
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>A mode's events/s per core is its events/s divided by the cores it could use: {@code
 * min(parallelism, cores)} ({@link Mode#eventsPerSecondPerCore}); the Jackson parse mode runs on
 * one thread.
 */
public final class BenchmarkResults {
  public static final String FORMAT = "collab-benchmark-results/1";

  /** One mode's figures. */
  public static final class Mode {
    public final double eventsPerSecond;
    public final double medianSeconds;
    public final long events;
    public final int parallelism;
    public final int cores;
    public final String date;
    public final String javaVersion;

    public Mode(
        double eventsPerSecond,
        double medianSeconds,
        long events,
        int parallelism,
        int cores,
        String date,
        String javaVersion) {
      this.eventsPerSecond = eventsPerSecond;
      this.medianSeconds = medianSeconds;
      this.events = events;
      this.parallelism = parallelism;
      this.cores = cores;
      this.date = date;
      this.javaVersion = javaVersion;
    }

    /** Events/s divided by the cores the run could use: min(parallelism, cores). */
    public double eventsPerSecondPerCore() {
      return eventsPerSecond / Math.max(1, Math.min(parallelism, cores));
    }
  }

  public final String date;
  public final String javaVersion;
  public final int cores;
  public final Double loadAverage;
  public final String note;
  public final Map<String, Mode> modes;

  public BenchmarkResults(
      String date,
      String javaVersion,
      int cores,
      Double loadAverage,
      String note,
      Map<String, Mode> modes) {
    this.date = date;
    this.javaVersion = javaVersion;
    this.cores = cores;
    this.loadAverage = loadAverage;
    this.note = note;
    this.modes = Collections.unmodifiableMap(new LinkedHashMap<>(modes));
  }

  /**
   * The figures of one benchmark run on this machine, now: per mode its median seconds and events
   * per run; the Jackson parse runs on one thread, every other mode at {@code parallelism}.
   */
  public static BenchmarkResults ofRun(
      Map<String, Long> eventsPerMode, Map<String, Double> medianSeconds, int parallelism) {
    String date = LocalDate.now(ZoneOffset.UTC).toString();
    String java = System.getProperty("java.version");
    int cores = Runtime.getRuntime().availableProcessors();
    Map<String, Mode> modes = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : medianSeconds.entrySet()) {
      long events = eventsPerMode.get(e.getKey());
      modes.put(
          e.getKey(),
          new Mode(
              events / e.getValue(),
              e.getValue(),
              events,
              e.getKey().equals("parse") ? 1 : parallelism,
              cores,
              date,
              java));
    }
    return new BenchmarkResults(date, java, cores, loadAverageNow(), null, modes);
  }

  /** Writes this object as the file's one JSON object (pretty-printed). */
  public void write(Path file) throws IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("format", FORMAT);
    root.put("date", date);
    root.put("javaVersion", javaVersion);
    root.put("cores", cores);
    if (loadAverage != null) {
      root.put("loadAverage", loadAverage);
    }
    if (note != null) {
      root.put("note", note);
    }
    ObjectNode ms = root.putObject("modes");
    for (Map.Entry<String, Mode> e : modes.entrySet()) {
      Mode m = e.getValue();
      ObjectNode n = ms.putObject(e.getKey());
      n.put("eventsPerSecond", m.eventsPerSecond);
      n.put("medianSeconds", m.medianSeconds);
      n.put("events", m.events);
      n.put("parallelism", m.parallelism);
      n.put("cores", m.cores);
      n.put("date", m.date);
      n.put("javaVersion", m.javaVersion);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    mapper.writeValue(file.toFile(), root);
  }

  /**
   * Reads a results file; a missing or unreadable file, or one that is not of this format, is a
   * {@link UsageException} naming the file and what is wrong.
   */
  public static BenchmarkResults read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UsageException(
          "--benchmark="
              + file
              + (Files.isDirectory(file) ? " is a directory, not a results file" : ": no such file")
              + " (write one with bin/collab-benchmark --results=FILE, or see docs/cost/)");
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UsageException(
          "--benchmark=" + file + ": not a JSON results file (" + firstLine(e) + ")");
    }
    if (root == null || !FORMAT.equals(root.path("format").asText())) {
      throw new UsageException(
          "--benchmark=" + file + ": not a results file of format " + FORMAT + " (field format)");
    }
    Map<String, Mode> modes = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.path("modes").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode n = e.getValue();
      if (!n.path("eventsPerSecond").isNumber()) {
        throw new UsageException(
            "--benchmark=" + file + ": mode " + e.getKey() + " has no number eventsPerSecond");
      }
      modes.put(
          e.getKey(),
          new Mode(
              n.path("eventsPerSecond").asDouble(),
              n.path("medianSeconds").asDouble(Double.NaN),
              n.path("events").asLong(),
              n.path("parallelism").asInt(1),
              n.path("cores").asInt(root.path("cores").asInt(1)),
              n.path("date").asText(root.path("date").asText("")),
              n.path("javaVersion").asText(root.path("javaVersion").asText(""))));
    }
    return new BenchmarkResults(
        root.path("date").asText(""),
        root.path("javaVersion").asText(""),
        root.path("cores").asInt(1),
        root.path("loadAverage").isNumber() ? root.path("loadAverage").asDouble() : null,
        root.path("note").isTextual() ? root.path("note").asText() : null,
        modes);
  }

  /** The 1-minute load average from /proc/loadavg, or null where there is none (not Linux). */
  public static Double loadAverageNow() {
    try {
      String s = new String(Files.readAllBytes(Path.of("/proc/loadavg")), "US-ASCII");
      return Double.parseDouble(s.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
