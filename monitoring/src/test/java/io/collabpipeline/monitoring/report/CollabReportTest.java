package io.collabpipeline.monitoring.report;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.warehouse.CanaryTables;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.tools.audit.CollabAudit;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 9, point 7: the main job runs on the embedded Flink, the audit runs, and {@code
 * bin/collab-report}'s page is opened in headless Chromium (Debian's package): its script drew all
 * four charts (freshness from canary rows the test wrote) (the DOM after it ran), wrote no console
 * message at all (an error would be one; a page with a broken script shows the check catches it),
 * shows the audit's verdict, and its screenshot is a real picture, not a blank page.
 */
public class CollabReportTest {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final List<String> HEADLESS =
      List.of(
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--enable-logging=stderr",
          "--v=0");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void theReportRendersItsChartsInHeadlessChromiumWithoutConsoleErrors() throws Exception {
    if (!Files.isExecutable(Path.of(CHROMIUM))) {
      throw new AssertionError(CHROMIUM + " is missing: apt-get install -y chromium (.ci/run)");
    }
    Path data = tmp.newFolder("data").toPath();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    assertThat(
        log.toString(StandardCharsets.UTF_8),
        JobLauncher.runCli(
            new String[] {"--events=1000", "--dataDir=" + data, "--progressSeconds=0"}, out, out),
        is(0));
    assertThat(
        CollabAudit.run(
            new String[] {"--dataDir=" + data, "--from=2026-11-02", "--to=2026-11-02"}, out, out),
        is(CollabAudit.EXIT_OK));
    // The canary probe's table, as bin/collab-canary leaves it: hour 10 with latencies 1..20 s
    // (P50 10.5 s, P95 19.05 s by linear interpolation), hour 11 with one canary of 4 s and one
    // not queryable yet (left out).
    java.util.List<CanaryTables.FreshnessRow> canaries = new java.util.ArrayList<>();
    long hour10 = java.time.Instant.parse("2026-11-02T10:00:00Z").toEpochMilli();
    for (int i = 1; i <= 20; i++) {
      long published = hour10 + i * 60_000L;
      canaries.add(
          new CanaryTables.FreshnessRow(
              "canary-0-" + published, "t", 0, published, published + i * 1000L));
    }
    long hour11 = hour10 + 3_600_000L;
    canaries.add(
        new CanaryTables.FreshnessRow("canary-1-" + hour11, "t", 1, hour11, hour11 + 4000L));
    canaries.add(
        new CanaryTables.FreshnessRow("canary-1-" + (hour11 + 1), "t", 1, hour11 + 1, null));
    try (JdbcWarehouse w = Warehouses.openJdbc("jdbc:duckdb:" + data.resolve("warehouse.duckdb"))) {
      w.canaries().ensureTables();
      w.canaries().recordFreshness(canaries);
    }
    assertThat(CollabReport.run(new String[] {"--dataDir=" + data}, out, out), is(0));
    Path page = data.resolve("report.html");
    String html = Files.readString(page);
    assertThat("self-contained", html, not(containsString("src=\"http")));

    Browser dom = chromium("--dump-dom", page.toUri().toString());
    assertThat(dom.stdout, containsString("data-rendered=\"4\""));
    assertThat(html, containsString("\"p50\":10.5,\"p95\":19.05,\"canaries\":20.0"));
    assertThat(html, containsString("\"p50\":4.0,\"p95\":4.0,\"canaries\":1.0"));
    assertThat(dom.stdout, containsString("Every offset accounted for"));
    assertThat(dom.stdout, containsString("received = quarantined + duplicate + accepted"));
    assertThat(dom.console(), is(empty()));

    Path png = tmp.getRoot().toPath().resolve("report.png");
    chromium("--window-size=1000,1600", "--screenshot=" + png, page.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    Set<Integer> colors = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        colors.add(image.getRGB(x, y));
      }
    }
    assertThat("distinct colours of the screenshot", colors.size(), greaterThan(20));
  }

  @Test
  public void aBrokenScriptIsCaughtByTheConsoleCheck() throws Exception {
    if (!Files.isExecutable(Path.of(CHROMIUM))) {
      throw new AssertionError(CHROMIUM + " is missing: apt-get install -y chromium (.ci/run)");
    }
    Path page = tmp.newFile("broken.html").toPath();
    Files.writeString(page, "<html><body><script>notDefined();</script></body></html>");
    Browser dom = chromium("--dump-dom", page.toUri().toString());
    assertThat(dom.console(), hasItem(containsString("Uncaught ReferenceError")));
  }

  private static final class Browser {
    final String stdout;
    final String stderr;

    Browser(String stdout, String stderr) {
      this.stdout = stdout;
      this.stderr = stderr;
    }

    /** The page's console messages as Chromium logs them ({@code ...:CONSOLE:...} lines). */
    List<String> console() {
      return stderr.lines().filter(l -> l.contains(":CONSOLE")).collect(Collectors.toList());
    }
  }

  private Browser chromium(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(CHROMIUM));
    command.addAll(HEADLESS);
    command.add("--user-data-dir=" + tmp.newFolder().toPath());
    command.addAll(List.of(args));
    Path stdout = tmp.newFile().toPath();
    Path stderr = tmp.newFile().toPath();
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s");
    }
    return new Browser(Files.readString(stdout), Files.readString(stderr));
  }
}
