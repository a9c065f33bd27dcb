package io.collabpipeline.pipelines.warehouse.snowflake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link SnowflakeOptions} through {@link SnowflakeConfig#fromOptions}: a complete set builds the
 * write, each mistake is a one-line error naming its option, secrets are accepted only by reference
 * and stay references in the serialized connection.
 */
public class SnowflakeConfigTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private static final String[] VALID = {
    "--snowflakeAccountUrl=https://myorg-collab.snowflakecomputing.com",
    "--snowflakeUser=collab_pipeline",
    "--snowflakePassword=env:SNOWFLAKE_PASSWORD",
    "--snowflakeDatabase=collab",
    "--snowflakeSchema=curated",
    "--snowflakeWarehouse=collab_load_wh",
    "--snowflakeRole=collab_loader",
    "--snowflakeStorageIntegration=collab_curated_s3",
    "--snowflakeStagingBucket=s3://collab-curated-staging/snowflake/",
  };

  private static SnowflakeOptions options(String... overrides) {
    List<String> args = new ArrayList<>(Arrays.asList(VALID));
    for (String o : overrides) {
      String name = o.substring(0, o.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      if (!o.endsWith("=")) {
        args.add(o);
      }
    }
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(SnowflakeOptions.class);
  }

  private static String error(String... overrides) {
    String message =
        assertThrows(
                UsageException.class,
                () -> SnowflakeConfig.fromOptions(options(overrides)).write(42L))
            .getMessage();
    assertThat(message, not(containsString("\n")));
    return message;
  }

  @Test
  public void theCanaryWriteSharesTheCuratedWritesConnectionStagingAndPipes() {
    SnowflakeConfig config = SnowflakeConfig.fromOptions(options());
    WriteSnowflakeCanaries canaries = config.writeCanaries();
    assertThat(canaries.dataSourceConfiguration(), is(config.dataSourceConfiguration()));
    assertThat(canaries.stagingBucketName(), is("s3://collab-curated-staging/snowflake/"));
    assertThat(canaries.storageIntegrationName(), is("collab_curated_s3"));
    assertThat(canaries.snowPipeTemplate(), is(SnowflakeSql.DEFAULT_SNOW_PIPE_TEMPLATE));
    assertThat(canaries.flushTimeLimit(), is(config.write(42L).flushTimeLimit()));
    // The live job's Snowflake target writes canaries (it used to write them only to the raw
    // store).
    assertThat(
        io.collabpipeline.pipelines.warehouse.WarehouseTargets.fromOptions(
                "jdbc:snowflake://myorg-collab.snowflakecomputing.com", options())
            .writeCanaries()
            .orElseThrow(),
        org.hamcrest.Matchers.instanceOf(WriteSnowflakeCanaries.class));
  }

  @Test
  public void theProbesConnectionNeedsNoStagingOptions() {
    SnowflakeIO.DataSourceConfiguration c =
        SnowflakeConfig.connectionFromOptions(
            options("--snowflakeStagingBucket=", "--snowflakeStorageIntegration="));
    assertThat(c.getUrl(), is("jdbc:snowflake://myorg-collab.snowflakecomputing.com"));
    assertThat(c.getRole().get(), is("collab_loader"));
  }

  @Test
  public void completeOptionsBuildTheWriteWithTheirConnectionAndNames() {
    WriteSnowflakeCurated write = SnowflakeConfig.fromOptions(options()).write(42L);
    assertThat(write.generation(), is(42L));
    assertThat(write.stagingBucketName(), is("s3://collab-curated-staging/snowflake/"));
    assertThat(write.storageIntegrationName(), is("collab_curated_s3"));
    assertThat(write.snowPipeTemplate(), is(SnowflakeSql.DEFAULT_SNOW_PIPE_TEMPLATE));
    SnowflakeIO.DataSourceConfiguration c = write.dataSourceConfiguration();
    assertThat(c.getUrl(), is("jdbc:snowflake://myorg-collab.snowflakecomputing.com"));
    assertThat(c.getServerName().get(), is("myorg-collab.snowflakecomputing.com"));
    assertThat(c.getDatabase().get(), is("collab"));
    assertThat(c.getSchema().get(), is("curated"));
    assertThat(c.getWarehouse().get(), is("collab_load_wh"));
    assertThat(c.getRole().get(), is("collab_loader"));
    assertThat(c.getUsername().get(), is("collab_pipeline"));
    assertThat(c.getPassword(), equalTo(SecretReference.of("env:SNOWFLAKE_PASSWORD")));
  }

  @Test
  public void eachMissingOrMalformedOptionIsNamedInOneLine() {
    assertThat(error("--snowflakeAccountUrl="), containsString("--snowflakeAccountUrl"));
    assertThat(
        error("--snowflakeAccountUrl=https://example.com"),
        containsString("--snowflakeAccountUrl"));
    assertThat(error("--snowflakeUser="), containsString("--snowflakeUser"));
    assertThat(error("--snowflakeDatabase="), containsString("--snowflakeDatabase"));
    assertThat(error("--snowflakeSchema=cur-ated"), containsString("--snowflakeSchema"));
    assertThat(error("--snowflakeWarehouse="), containsString("--snowflakeWarehouse"));
    assertThat(error("--snowflakeRole="), containsString("--snowflakeRole"));
    assertThat(
        error("--snowflakeStorageIntegration="), containsString("--snowflakeStorageIntegration"));
    assertThat(
        error("--snowflakeStagingBucket=s3://bucket/no-slash"),
        containsString("--snowflakeStagingBucket"));
    assertThat(
        error("--snowflakeStagingBucket=gs://bucket/x/"),
        containsString("--snowflakeStagingBucket"));
    assertThat(error("--snowflakeSnowPipe=one_pipe"), containsString("--snowflakeSnowPipe"));
    assertThat(error("--snowflakePassword="), containsString("--snowflakePassword"));
    assertThat(
        error("--snowflakePrivateKey=file:/keys/rsa.p8"),
        containsString("exactly one of --snowflakePrivateKey"));
    assertThat(
        error("--snowflakePrivateKeyPassphrase=env:PASS"),
        containsString("--snowflakePrivateKeyPassphrase"));
    assertThat(
        assertThrows(UsageException.class, () -> SnowflakeConfig.fromOptions(options()).write(0L))
            .getMessage(),
        containsString("--generation"));
  }

  @Test
  public void aSecretGivenAsAValueIsRejectedWithoutBeingEchoed() {
    String message = error("--snowflakePassword=hunter2-is-my-password");
    assertThat(message, containsString("--snowflakePassword"));
    assertThat(message, not(containsString("hunter2")));
  }

  @Test
  public void streamingNeedsAnEncryptedKeyPair() {
    String message = error("--streaming=true");
    assertThat(message, containsString("--snowflakePrivateKey"));
    WriteSnowflakeCurated write =
        SnowflakeConfig.fromOptions(
                options(
                    "--streaming=true",
                    "--snowflakePassword=",
                    "--snowflakePrivateKey=file:/run/secrets/snowflake.p8",
                    "--snowflakePrivateKeyPassphrase=env:SNOWFLAKE_KEY_PASSPHRASE"))
            .write(42L);
    SnowflakeIO.DataSourceConfiguration c = write.dataSourceConfiguration();
    assertThat(c.getRawPrivateKey(), equalTo(SecretReference.of("file:/run/secrets/snowflake.p8")));
    assertThat(
        c.getPrivateKeyPassphrase(), equalTo(SecretReference.of("env:SNOWFLAKE_KEY_PASSPHRASE")));
  }

  @Test
  public void aSecretStaysAReferenceInTheSerializedConnectionAndResolvesOnDemand()
      throws Exception {
    Path secret = folder.getRoot().toPath().resolve("password");
    Files.write(secret, "s3cr3t-value\n".getBytes(StandardCharsets.UTF_8));
    WriteSnowflakeCurated write =
        SnowflakeConfig.fromOptions(options("--snowflakePassword=file:" + secret)).write(42L);
    byte[] serialized = SerializableUtils.serializeToByteArray(write);
    assertThat(
        new String(serialized, StandardCharsets.ISO_8859_1), not(containsString("s3cr3t-value")));
    assertThat(write.dataSourceConfiguration().getPassword().get(), is("s3cr3t-value"));
    assertThat(write.dataSourceConfiguration().getPassword().toString(), is("file:" + secret));
  }

  @Test
  public void theConfigSerializesWithReferencesOnlyAndPrintsNoCredential() throws Exception {
    Path secret = folder.getRoot().toPath().resolve("password");
    Files.write(secret, "s3cr3t-value\n".getBytes(StandardCharsets.UTF_8));
    SnowflakeConfig config =
        SnowflakeConfig.fromOptions(options("--snowflakePassword=file:" + secret));
    byte[] serialized = SerializableUtils.serializeToByteArray(config);
    assertThat(
        new String(serialized, StandardCharsets.ISO_8859_1), not(containsString("s3cr3t-value")));
    SnowflakeConfig copy =
        (SnowflakeConfig) SerializableUtils.deserializeFromByteArray(serialized, "config");
    assertThat(copy.stagingBucket(), is("s3://collab-curated-staging/snowflake/"));
    assertThat(copy.write(42L).dataSourceConfiguration().getPassword().get(), is("s3cr3t-value"));
    assertThat(config.toString(), containsString("myorg-collab.snowflakecomputing.com"));
    assertThat(config.toString(), not(containsString("password")));
    assertThat(config.toString(), not(containsString(secret.toString())));
  }

  @Test
  public void anUnresolvableReferenceNamesTheReferenceOnly() {
    SecretReference missing = SecretReference.of("env:COLLAB_TEST_SURELY_UNSET_VARIABLE");
    assertThat(
        assertThrows(IllegalStateException.class, missing::get).getMessage(),
        containsString("COLLAB_TEST_SURELY_UNSET_VARIABLE"));
    assertThat(SecretReference.isReference("file:relative/path"), is(false));
    assertThat(SecretReference.isReference("env:"), is(false));
  }
}
