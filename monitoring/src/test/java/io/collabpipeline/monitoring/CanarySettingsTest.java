package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/**
 * The probe's warehouse options ({@link CollabCanary.Settings#from}): a Snowflake URL takes the
 * job's {@code --snowflake*} connection options (credentials by reference, no staging settings),
 * and each mistake is one line naming the option (what {@code main} prints before exiting 2).
 */
public class CanarySettingsTest {
  private static final String[] KAFKA = {
    "--kafkaBootstrapServers=127.0.0.1:9092", "--kafkaTopics=collab-events"
  };

  private static final String[] SNOWFLAKE = {
    "--warehouseUrl=jdbc:snowflake://myorg-collab.snowflakecomputing.com",
    "--snowflakeAccountUrl=https://myorg-collab.snowflakecomputing.com",
    "--snowflakeUser=collab_probe",
    "--snowflakePrivateKey=file:/etc/collab/probe.p8",
    "--snowflakeDatabase=collab",
    "--snowflakeSchema=curated",
    "--snowflakeWarehouse=collab_load_wh",
    "--snowflakeRole=collab_probe",
  };

  private static CollabCanary.Settings settings(String[] base, String... overrides) {
    List<String> args = new ArrayList<>(Arrays.asList(KAFKA));
    args.addAll(Arrays.asList(base));
    for (String o : overrides) {
      String name = o.substring(0, o.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      if (!o.endsWith("=")) {
        args.add(o);
      }
    }
    return CollabCanary.Settings.from(
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(CanaryOptions.class));
  }

  private static String error(String[] base, String... overrides) {
    RuntimeException e = assertThrows(RuntimeException.class, () -> settings(base, overrides));
    // What main reports on one line before exiting 2.
    assertThat(
        e.toString(),
        e instanceof UsageException || e instanceof IllegalArgumentException,
        is(true));
    String message = e.getMessage();
    assertThat(message, not(containsString("\n")));
    return message;
  }

  @Test
  public void aSnowflakeUrlTakesTheJobsConnectionOptionsWithoutTheStagingOnes() {
    CollabCanary.Settings s = settings(SNOWFLAKE);
    SnowflakeIO.DataSourceConfiguration c = s.snowflake();
    assertThat(c.getUrl(), is("jdbc:snowflake://myorg-collab.snowflakecomputing.com"));
    assertThat(c.getDatabase().get(), is("collab"));
    assertThat(c.getSchema().get(), is("curated"));
    assertThat(c.getWarehouse().get(), is("collab_load_wh"));
    assertThat(c.getRole().get(), is("collab_probe"));
    assertThat(c.getUsername().get(), is("collab_probe"));
    // The key stays a reference until the probe connects.
    assertThat(c.getRawPrivateKey().toString(), not(containsString("BEGIN")));
    // A password reference works as well: only Snowpipe needs a key pair.
    assertThat(
        settings(
                SNOWFLAKE,
                "--snowflakePrivateKey=",
                "--snowflakePassword=env:COLLAB_PROBE_PASSWORD")
            .snowflake()
            .getPassword()
            .toString(),
        is("env:COLLAB_PROBE_PASSWORD"));
  }

  @Test
  public void aPostgresUrlNeedsNoSnowflakeOption() {
    assertThat(
        settings(new String[] {"--warehouseUrl=jdbc:postgresql://127.0.0.1:55432/collab"})
            .snowflake(),
        nullValue());
  }

  @Test
  public void snowflakeMistakesAreOneLineNamingTheOption() {
    assertThat(
        error(SNOWFLAKE, "--snowflakeAccountUrl="),
        startsWith(
            "--warehouseUrl=jdbc:snowflake://myorg-collab.snowflakecomputing.com selects Snowflake:"));
    assertThat(
        error(SNOWFLAKE, "--snowflakePrivateKey=-----BEGIN PRIVATE KEY-----"),
        startsWith("--snowflakePrivateKey must be a reference"));
    assertThat(
        error(SNOWFLAKE, "--snowflakePrivateKey="),
        startsWith("give exactly one of --snowflakePrivateKey"));
    assertThat(error(SNOWFLAKE, "--snowflakeRole="), startsWith("--snowflakeRole is required"));
    assertThat(
        error(SNOWFLAKE, "--snowflakeAccountUrl=http://example.com"),
        startsWith("--snowflakeAccountUrl must look like"));
    assertThat(
        error(new String[] {"--warehouseUrl=jdbc:duckdb:/tmp/w.duckdb"}),
        startsWith("--warehouseUrl: the job's process holds the embedded DuckDB file"));
    assertThat(
        error(new String[] {"--warehouseUrl=jdbc:mysql://x/y"}),
        startsWith("unsupported warehouse URL"));
    assertThat(
        assertThrows(UsageException.class, () -> settings(SNOWFLAKE, "--snowflakeUser="))
            .getMessage(),
        startsWith("--snowflakeUser is required"));
  }
}
