package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@code bin/collab-exporter}'s option mistakes: one line naming the option, before any socket. */
@RunWith(JUnit4.class)
public class ExporterOptionsTest {

  @Test
  public void aPortThatIsNotANumberNamesTheOption() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> CommandLine.parse(new String[] {"--port=abc"}, ExporterOptions.class));
    assertThat(e.getMessage(), equalTo("--port=abc must be a whole number"));
  }

  @Test
  public void theExportersAndTheCanarysOptionsParseInOneJvm() {
    // Both have --port with different defaults: Beam refuses that once both are registered.
    assertThat(CommandLine.parse(new String[] {}, ExporterOptions.class).getPort(), equalTo(9464));
    assertThat(
        CommandLine.parse(new String[] {"--port=9999"}, CanaryOptions.class).getPort(),
        equalTo(9999));
    assertThat(
        CommandLine.parse(new String[] {"--port=9998"}, ExporterOptions.class).getPort(),
        equalTo(9998));
  }

  @Test
  public void anUnknownOptionPointsAtTheHelpOfTheInterfacesFullName() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> CommandLine.parse(new String[] {"--prot=1"}, ExporterOptions.class));
    // Beam suggests names from every interface registered in the JVM (here also the pipeline's,
    // which the report's tests register), so only --port is certain among them.
    assertThat(e.getMessage(), startsWith("--prot is not an option: did you mean "));
    assertThat(e.getMessage(), containsString("--port"));
    assertThat(
        e.getMessage(), endsWith("? (see --help=io.collabpipeline.monitoring.ExporterOptions)"));
  }

  @Test
  public void aPortOutOfRangeNamesTheOption() {
    ExporterOptions options =
        CommandLine.parse(new String[] {"--port=70000"}, ExporterOptions.class);
    UsageException e =
        assertThrows(UsageException.class, () -> CollabExporter.start(options, System.err));
    assertThat(e.getMessage(), equalTo("--port must be 0..65535, got 70000"));
  }
}
