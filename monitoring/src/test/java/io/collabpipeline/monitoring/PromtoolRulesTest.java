package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * The alert rules, checked and unit-tested by Prometheus's own {@code promtool} (Debian's
 * prometheus package; .ci/run installs it): every rule file passes {@code promtool check rules},
 * every test file passes {@code promtool test rules}, and every alert has at least one case that
 * fires it and one that keeps it quiet, and a runbook.
 */
public class PromtoolRulesTest {
  static final String PROMTOOL = "/usr/bin/promtool";
  static final Path PROMETHEUS = Paths.get("prometheus");
  static final Path RUNBOOKS = Paths.get("..", "docs", "runbooks");
  private static final Pattern ALERT = Pattern.compile("(?m)^\\s*- alert: (\\w+)\\s*$");
  private static final Pattern CASE =
      Pattern.compile("(?m)^\\s*alertname: (\\w+)\\s*\\n\\s*exp_alerts:(\\s*\\[\\])?");

  @Test
  public void everyRuleFilePassesPromtoolCheck() throws Exception {
    for (Path rules : files("rules")) {
      String out = promtool("check", "rules", rules.toString());
      assertThat(out, containsString("SUCCESS"));
    }
  }

  @Test
  public void everyPromtoolTestPasses() throws Exception {
    List<Path> tests = files("tests");
    assertThat(tests.isEmpty(), is(false));
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    tests.forEach(t -> args.add(t.toString()));
    promtool(args.toArray(new String[0]));
  }

  @Test
  public void everyAlertHasACaseThatFiresItOneThatKeepsItQuietAndARunbook() throws Exception {
    Set<String> alerts = new TreeSet<>();
    for (Path rules : files("rules")) {
      Matcher m = ALERT.matcher(Files.readString(rules));
      while (m.find()) {
        alerts.add(m.group(1));
      }
    }
    assertThat(alerts.size() >= 13, is(true));
    Set<String> fired = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (Path test : files("tests")) {
      Matcher m = CASE.matcher(Files.readString(test));
      while (m.find()) {
        (m.group(2) == null ? fired : quiet).add(m.group(1));
      }
    }
    List<String> missing = new ArrayList<>();
    for (String alert : alerts) {
      if (!fired.contains(alert)) {
        missing.add(alert + ": no case fires it");
      }
      if (!quiet.contains(alert)) {
        missing.add(alert + ": no case keeps it quiet");
      }
      String runbook = "docs/runbooks/" + alert + ".md";
      Path file = RUNBOOKS.resolve(alert + ".md");
      boolean named = false;
      for (Path rules : files("rules")) {
        named |= Files.readString(rules).contains("runbook_url: " + runbook);
      }
      boolean sharedRunbook =
          alert.endsWith("Slow")
              && Files.exists(RUNBOOKS.resolve(alert.replaceAll("Slow$", "") + ".md"));
      if (!Files.exists(file) && !sharedRunbook) {
        missing.add(alert + ": no " + runbook);
      }
      if (!named && !sharedRunbook) {
        missing.add(alert + ": its runbook_url is not " + runbook);
      }
    }
    assertThat(missing, is(empty()));
  }

  private static List<Path> files(String dir) throws IOException {
    try (Stream<Path> s = Files.list(PROMETHEUS.resolve(dir))) {
      return s.filter(p -> p.toString().endsWith(".yml"))
          .map(Path::toAbsolutePath)
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /** Runs promtool in the prometheus/ directory; fails with its output unless it exits 0. */
  static String promtool(String... args) throws Exception {
    if (!Files.isExecutable(Paths.get(PROMTOOL))) {
      throw new AssertionError(
          PROMTOOL + " is missing: apt-get install -y prometheus (what .ci/run does)");
    }
    List<String> command = new ArrayList<>(List.of(PROMTOOL));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .directory(PROMETHEUS.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("promtool " + String.join(" ", args) + " timed out");
    }
    assertThat("promtool " + String.join(" ", args) + ":\n" + out, p.exitValue(), is(0));
    return out;
  }
}
