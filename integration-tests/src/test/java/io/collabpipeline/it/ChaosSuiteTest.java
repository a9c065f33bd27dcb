package io.collabpipeline.it;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.experimental.categories.Category;
import org.junit.runner.RunWith;
import org.junit.runners.Suite;

/**
 * The chaos suite: each fault of the reliability promise during a streaming run, each checked
 * against the independent computation; afterwards RELIABILITY.md is written from the results. Its
 * runs are the {@code *Chaos} classes (surefire runs them only through this suite). Run it alone
 * with {@code ./mvnw -B -pl integration-tests -am verify -Dtest=ChaosSuiteTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@RunWith(Suite.class)
@Suite.SuiteClasses({
  ResumeAfterKillChaos.class,
  StatelessStartChaos.class,
  StreamFaultsChaos.class,
  TaskManagerKillChaos.class,
})
@Category(ChaosSuiteTest.Chaos.class)
public class ChaosSuiteTest {
  /** The tag of the chaos suite. */
  public interface Chaos {}

  private static long started;

  @BeforeClass
  public static void clearResults() throws Exception {
    started = System.currentTimeMillis();
    ChaosReport.clear();
  }

  @AfterClass
  public static void writeReliability() throws Exception {
    ChaosReport.writeReliability(
        ChaosRun.repositoryRoot().resolve("RELIABILITY.md"),
        (System.currentTimeMillis() - started) / 1000);
  }
}
