package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.GeneratorOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link GeneratorConfig}: the generator options as a workload, and the one-line message of each
 * bad value.
 */
@RunWith(JUnit4.class)
public class GeneratorConfigTest {

  private static GeneratorOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(GeneratorOptions.class);
  }

  private static String error(String... args) {
    return assertThrows(UsageException.class, () -> GeneratorConfig.workloadFrom(options(args)))
        .getMessage();
  }

  @Test
  public void theOptionsBecomeTheDefaultsWithTheirVolumeSeedAndShares() {
    WorkloadSpec spec =
        GeneratorConfig.workloadFrom(
            options(
                "--events=1234",
                "--seed=7",
                "--duplicateShare=0.1",
                "--lateShare=0.2",
                "--tooLateShare=0.05",
                "--malformedShare=0.02"));
    assertThat(
        spec,
        equalTo(
            WorkloadSpec.defaults()
                .withDeliveries(1234)
                .withSeed(7L)
                .withDuplicateShare(0.1)
                .withLateShare(0.2)
                .withTooLateShare(0.05)
                .withMalformedShare(0.02)));
  }

  @Test
  public void theOptionDefaultsAreAValidWorkload() {
    WorkloadSpec spec = GeneratorConfig.workloadFrom(options());
    assertThat(spec.deliveries(), equalTo(200_000L));
    assertThat(spec.seed(), equalTo(20261102L));
  }

  @Test
  public void theArrivalRateSetsTheSyntheticArrivalClockAndItsDefaultIsTheGenerators() {
    assertThat(
        GeneratorConfig.workloadFrom(options("--events=1234", "--arrivalRate=2.5")),
        equalTo(WorkloadSpec.defaults().withDeliveries(1234).withSyntheticRate(2.5)));
    assertThat(GeneratorConfig.workloadFrom(options()).syntheticRate(), equalTo(40.0));
  }

  @Test
  public void anArrivalRateTooSlowForTheRetriesIsNamedWithTheWayOut() {
    // Worked out by hand: a retry arrives up to 2,000 + 63 deliveries after its event (the default
    // maximum retry distance plus the plan's scan), i.e. 20,630,000 s (239 days) at 0.0001/s, past
    // the 180-day default --maxEventAge; without retries the oldest valid event is 45 min late.
    assertThat(
        error("--arrivalRate=0.0001"),
        equalTo(
            "--arrivalRate=0.0001 is too slow: a retry would arrive longer after its event occurred"
                + " than the default --maxEventAge accepts; raise it, or set --duplicateShare=0"));
    assertThat(
        GeneratorConfig.workloadFrom(options("--arrivalRate=0.0001", "--duplicateShare=0"))
            .syntheticRate(),
        equalTo(0.0001));
  }

  @Test
  public void eachBadValueIsNamedInOneLine() {
    assertThat(error("--events=0"), equalTo("--events=0 must be at least 1"));
    assertThat(
        error("--rate=-1"),
        equalTo("--rate=-1 must be 0 (as fast as possible) or a positive records/s"));
    assertThat(
        error("--arrivalRate=0"),
        equalTo(
            "--arrivalRate=0 must be a positive number of deliveries per second of the arrival"
                + " clock, e.g. 2 (the default is 40)"));
    assertThat(
        error("--arrivalRate=Infinity"),
        equalTo(
            "--arrivalRate=Infinity must be a positive number of deliveries per second of the"
                + " arrival clock, e.g. 2 (the default is 40)"));
    assertThat(
        error("--lateShare=1.5"),
        equalTo("--lateShare=1.5 must be a share between 0 and 1, e.g. 0.02"));
    assertThat(
        error("--duplicateShare=0.5", "--lateShare=0.5"),
        equalTo(
            "--duplicateShare + --lateShare + --tooLateShare + --malformedShare = 1.01 leaves too few plain events; "
                + "keep the sum at or below 0.9"));
  }
}
