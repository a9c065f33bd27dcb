package io.collabpipeline.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.sameInstance;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.classloading.SubmoduleClassLoader;
import org.apache.flink.runtime.rpc.RpcService;
import org.apache.flink.runtime.rpc.RpcSystem;
import org.apache.flink.util.FileUtils;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * One Flink RPC system per JVM: every embedded cluster gets the same Pekko classes, a cluster's
 * close does not unload them, and the copied Pekko jar does not outlive the JVM.
 */
@RunWith(JUnit4.class)
public class SharedRpcSystemLoaderTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Where Flink's loader puts its copy of the Pekko jar. */
  private Configuration withTempDir(Path dir) {
    Configuration config = new Configuration();
    config.set(CoreOptions.TMP_DIRS, dir.toString());
    return config;
  }

  @Test
  public void everyLoadInAJvmGetsThePekkoClassesOfTheFirst() throws Exception {
    Configuration config = withTempDir(tmp.newFolder().toPath());
    // What Flink's MiniCluster does for each cluster it starts, then closes when it stops.
    RpcSystem first = RpcSystem.load(config);
    Class<?> builderOfFirst = first.localServiceBuilder(config).getClass();
    first.close();
    RpcSystem second = RpcSystem.load(config);
    Class<?> builderOfSecond = second.localServiceBuilder(config).getClass();
    second.close();

    // Flink's own loader opens a new class loader on a new copy of the jar for each load: the
    // builders' classes would be two classes of the same name.
    assertThat(builderOfFirst.getClassLoader(), instanceOf(SubmoduleClassLoader.class));
    assertThat(builderOfSecond, sameInstance(builderOfFirst));
    assertThat(second, sameInstance(first));
  }

  @Test
  public void aLaterClusterWorksAfterAnEarlierOneClosedTheSystemAndLostItsTempDirectory()
      throws Exception {
    File earlierTmp = tmp.newFolder();
    RpcSystem.load(withTempDir(earlierTmp.toPath())).close();
    // A cluster's io.tmp.dirs can go before the JVM does (as a test's temporary folder does): the
    // shared system must not keep its Pekko jar there, or the next actor system fails to read
    // its reference.conf.
    FileUtils.deleteDirectory(earlierTmp);
    Configuration config = withTempDir(tmp.newFolder().toPath());
    RpcSystem system = RpcSystem.load(config);
    RpcService service = system.localServiceBuilder(config).createAndStart();
    try {
      // The service's actor system runs what it is given.
      assertThat(
          service
              .getScheduledExecutor()
              .schedule(() -> "ran", 1, TimeUnit.MILLISECONDS)
              .get(60, TimeUnit.SECONDS),
          equalTo("ran"));
    } finally {
      service.closeAsync().get(60, TimeUnit.SECONDS);
    }
    system.close();
  }

  @Test
  public void theCopiedPekkoJarIsDeletedWhenTheJvmExits() throws Exception {
    Path dir = tmp.newFolder().toPath();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djava.io.tmpdir=" + dir);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LoadStartStopAndExit.class.getName());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(output, child.waitFor(120, TimeUnit.SECONDS), equalTo(true));
    assertThat(output, child.exitValue(), equalTo(0));
    // While it ran, the copy was there (so the check below is not of an empty directory) ...
    assertThat(output, containsString("jars while running: [flink-rpc-akka"));
    // ... and after it exited, it is not.
    assertThat(pekkoJars(dir), empty());
  }

  private static List<String> pekkoJars(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("flink-rpc-akka"))
          .collect(Collectors.toList());
    }
  }

  /**
   * The child JVM (its java.io.tmpdir the test's directory): loads the RPC system as a cluster
   * would, starts and stops a service on it, closes the system, and exits.
   */
  public static final class LoadStartStopAndExit {
    public static void main(String[] args) throws Exception {
      Path dir = new File(System.getProperty("java.io.tmpdir")).toPath();
      Configuration config = new Configuration();
      RpcSystem system = RpcSystem.load(config);
      RpcService service = system.localServiceBuilder(config).createAndStart();
      System.out.println("jars while running: " + pekkoJars(dir));
      service.closeAsync().get(60, TimeUnit.SECONDS);
      system.close();
      System.exit(0);
    }
  }
}
