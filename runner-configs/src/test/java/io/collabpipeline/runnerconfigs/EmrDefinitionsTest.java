package io.collabpipeline.runnerconfigs;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.isIn;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.junit.Test;

/**
 * emr/cluster.json (the EMR RunJobFlow request) and emr/steps.json (its steps) are valid JSON with
 * the fields EMR requires, carry exactly the production Flink configuration, and submit what
 * emr/submit.sh submits.
 */
public class EmrDefinitionsTest {
  static final Path CLUSTER = Paths.get("emr", "cluster.json");
  static final Path STEPS = Paths.get("emr", "steps.json");
  static final Path SUBMIT = Paths.get("emr", "submit.sh");

  /**
   * EMR releases whose Flink is 1.19 (the Flink minor version Beam's runner is built for); from
   * EMR's release notes.
   */
  static final Map<String, String> FLINK_OF_RELEASE = Map.of("emr-7.4.0", "1.19");

  private static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode cluster() throws IOException {
    return JSON.readTree(CLUSTER.toFile());
  }

  static int coreNodes() {
    try {
      for (JsonNode group : cluster().path("Instances").path("InstanceGroups")) {
        if (group.path("InstanceRole").asText().equals("CORE")) {
          return group.path("InstanceCount").asInt();
        }
      }
      return 0;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  public void clusterHasTheFieldsEmrRequiresAndAFlink119Release() throws IOException {
    JsonNode cluster = cluster();
    for (String field :
        List.of("Name", "ReleaseLabel", "Instances", "ServiceRole", "JobFlowRole", "LogUri")) {
      assertThat(field, cluster.path(field).isMissingNode(), is(false));
    }
    assertThat(
        FLINK_OF_RELEASE.get(cluster.path("ReleaseLabel").asText()),
        equalTo(FlinkConfigCheck.flinkVersion().substring(0, 4)));
    List<String> applications = new ArrayList<>();
    cluster.path("Applications").forEach(a -> applications.add(a.path("Name").asText()));
    assertThat(applications, hasItem("Flink"));
    assertThat(cluster.path("LogUri").asText(), startsWith("s3://"));

    JsonNode instances = cluster.path("Instances");
    assertThat(instances.path("KeepJobFlowAliveWhenNoSteps").asBoolean(), is(true));
    Map<String, JsonNode> groups = new HashMap<>();
    for (JsonNode group : instances.path("InstanceGroups")) {
      for (String field : List.of("InstanceRole", "InstanceType", "InstanceCount", "Market")) {
        assertThat(field, group.path(field).isMissingNode(), is(false));
      }
      assertThat(group.path("InstanceRole").asText(), isIn(List.of("MASTER", "CORE", "TASK")));
      groups.put(group.path("InstanceRole").asText(), group);
    }
    assertThat(groups, hasKey("MASTER"));
    assertThat(groups, hasKey("CORE"));
    // Three primary nodes: YARN ResourceManager and Flink JobManager high availability (99.9%).
    assertThat(groups.get("MASTER").path("InstanceCount").asInt(), equalTo(3));
    // Streaming state lives on the core nodes' local NVMe: no Spot capacity there.
    assertThat(groups.get("CORE").path("Market").asText(), equalTo("ON_DEMAND"));
    assertThat(groups.get("CORE").path("InstanceType").asText(), equalTo("m6gd.4xlarge"));
  }

  @Test
  public void clusterFlinkConfIsExactlyTheProductionConfigYaml() throws IOException {
    JsonNode flinkConf = null;
    for (JsonNode configuration : cluster().path("Configurations")) {
      if (configuration.path("Classification").asText().equals("flink-conf")) {
        flinkConf = configuration.path("Properties");
      }
    }
    assertThat("a flink-conf classification", flinkConf == null, is(false));
    Map<String, String> properties = new TreeMap<>();
    flinkConf.fields().forEachRemaining(e -> properties.put(e.getKey(), e.getValue().asText()));
    Configuration conf = FlinkConfigFilesTest.loadProduction();
    assertThat(properties, equalTo(new TreeMap<>(conf.toMap())));
    assertThat(FlinkConfigCheck.problems(Configuration.fromMap(properties)), is(empty()));
  }

  @Test
  public void stepsCopyTheJobJarThenSubmitWhatSubmitShSubmits() throws Exception {
    JsonNode steps = JSON.readTree(STEPS.toFile());
    assertThat(steps.isArray(), is(true));
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode step : steps) {
      assertThat(
          step.path("ActionOnFailure").asText(),
          isIn(List.of("TERMINATE_JOB_FLOW", "TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE")));
      assertThat(step.path("HadoopJarStep").path("Jar").asText(), equalTo("command-runner.jar"));
      assertThat(step.path("HadoopJarStep").path("Args").isArray(), is(true));
      byName.put(step.path("Name").asText(), step);
    }
    List<String> copy = args(byName.get("CopyJobJar"));
    List<String> run = args(byName.get("RunCollabPipeline"));
    assertThat(copy.subList(0, 3), equalTo(List.of("aws", "s3", "cp")));
    String jar = copy.get(4);

    List<String> submitted = dryRun("--jar", jar);
    assertThat(run, equalTo(submitted));
    assertThat(run.subList(0, 2), equalTo(List.of("flink", "run-application")));
    int jarAt = run.indexOf(jar);
    assertThat(jarAt, greaterThanOrEqualTo(0));
    assertThat(run.subList(jarAt + 1, run.size()), equalTo(BeamOptionsTest.productionArgs()));
  }

  @Test
  public void submitShPassesBashSyntaxCheckAndAddsTheSavepointToResumeFrom() throws Exception {
    Process check =
        new ProcessBuilder("bash", "-n", SUBMIT.toString()).redirectErrorStream(true).start();
    assertThat(check.waitFor(30, TimeUnit.SECONDS), is(true));
    assertThat(
        new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        check.exitValue(),
        equalTo(0));
    List<String> resumed =
        dryRun(
            "--jar",
            "/j.jar",
            "--from-savepoint",
            "s3://bucket/savepoints/savepoint-1",
            "--generation",
            "1795309200000");
    // A flink run option, before the jar: inside the cluster Beam ignores --savepointPath.
    int jarAt = resumed.indexOf("/j.jar");
    assertThat(
        resumed.subList(jarAt - 2, jarAt),
        equalTo(List.of("--fromSavepoint", "s3://bucket/savepoints/savepoint-1")));
    assertThat(resumed.stream().anyMatch(a -> a.startsWith("--savepointPath")), is(false));
    // The restored stream continues its generation: a job option, after the production options.
    List<String> jobArgs = new ArrayList<>(BeamOptionsTest.productionArgs());
    jobArgs.add("--generation=1795309200000");
    assertThat(resumed.subList(jarAt + 1, resumed.size()), equalTo(jobArgs));
  }

  @Test
  public void submitShRefusesARestoreWithoutTheStreamsGenerationInOneLine() throws Exception {
    assertThat(
        refused("--from-savepoint", "s3://bucket/savepoints/savepoint-1"),
        startsWith(
            "submit.sh: --from-savepoint restores a stream, which must continue its generation:"
                + " add --generation N"));
    assertThat(
        refused("--generation", "1795309200000"),
        startsWith(
            "submit.sh: --generation continues a stream restored with --from-savepoint; a submit"
                + " without it starts fresh"));
    assertThat(
        refused("--from-savepoint", "s3://bucket/s/1", "--generation", "0"),
        startsWith("submit.sh: --generation 0 is not a generation: it is a positive whole number"));
    assertThat(
        refused("--from-savepoint", "s3://bucket/s/1", "--generation", "17953x"),
        startsWith("submit.sh: --generation 17953x is not a generation"));
  }

  /**
   * What submit.sh prints when it refuses {@code extra}: one line on stderr, exit 2, no command.
   */
  private static String refused(String... extra) throws Exception {
    String[] run = submitDryRun(extra);
    assertThat(run[2], Integer.parseInt(run[0]), equalTo(2));
    assertThat(run[1], equalTo(""));
    assertThat(run[2], run[2].strip().split("\n").length, equalTo(1));
    return run[2];
  }

  @Test
  public void noFileHoldsCredentials() throws IOException {
    Pattern secret =
        Pattern.compile(
            "AKIA[0-9A-Z]{16}|aws_secret_access_key|secretAccessKey|password\\s*[=:]|BEGIN [A-Z ]*PRIVATE KEY",
            Pattern.CASE_INSENSITIVE);
    List<Path> files;
    try (Stream<Path> walk =
        Stream.concat(Files.walk(Paths.get("flink")), Files.walk(Paths.get("emr")))) {
      files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
    }
    assertThat(files.size(), greaterThanOrEqualTo(6));
    for (Path file : files) {
      String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
      assertThat(file.toString(), secret.matcher(text).find(), is(false));
    }
  }

  private static List<String> args(JsonNode step) {
    assertThat("step present", step == null, is(false));
    List<String> args = new ArrayList<>();
    step.path("HadoopJarStep").path("Args").forEach(a -> args.add(a.asText()));
    return args;
  }

  private static List<String> dryRun(String... extra) throws Exception {
    String[] run = submitDryRun(extra);
    assertThat(run[2], Integer.parseInt(run[0]), equalTo(0));
    assertThat(run[1], not(equalTo("")));
    return Arrays.asList(run[1].split("\n"));
  }

  /** {@code submit.sh --dry-run extra...}: its exit code, stdout and stderr. */
  private static String[] submitDryRun(String... extra) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", SUBMIT.toString(), "--dry-run"));
    command.addAll(Arrays.asList(extra));
    Process p = new ProcessBuilder(command).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS), is(true));
    return new String[] {String.valueOf(p.exitValue()), out, err};
  }
}
