package io.collabpipeline.pipelines.warehouse.snowflake;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.ValueProvider.StaticValueProvider;

/**
 * The edge between {@link SnowflakeOptions} and {@link WriteSnowflakeCurated}: checks the options (each mistake is a
 * one-line {@link UsageException} naming the option) and builds the transform, so the transform itself never reads
 * options.
 */
public final class SnowflakeCuratedSink {
  private static final Pattern ACCOUNT_URL =
      Pattern.compile("https://([A-Za-z0-9][A-Za-z0-9._-]*\\.snowflakecomputing\\.com)/?");
  /** Unquoted Snowflake identifiers: what the DDL uses, and what can be interpolated safely. */
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

  private SnowflakeCuratedSink() {}

  /**
   * Checks {@code options} and returns the write for a job of {@code generation}. Whether the job is streaming
   * ({@code --streaming}) decides which credentials are acceptable; the write itself picks COPY or Snowpipe from its
   * input's boundedness.
   */
  public static WriteSnowflakeCurated fromOptions(SnowflakeOptions options, long generation) {
    if (generation <= 0) {
      throw new UsageException("--generation must be a positive number, got " + generation);
    }
    boolean streaming = options.as(StreamingOptions.class).isStreaming();
    return WriteSnowflakeCurated.write()
        .withDataSourceConfiguration(dataSourceConfiguration(options, streaming))
        .withStagingBucketName(stagingBucket(options.getSnowflakeStagingBucket()))
        .withStorageIntegrationName(identifier("--snowflakeStorageIntegration", options.getSnowflakeStorageIntegration()))
        .withSnowPipe(snowPipe(options.getSnowflakeSnowPipe()))
        .withGeneration(generation);
  }

  /** The connection the options describe; secrets stay references until a worker connects. */
  static SnowflakeIO.DataSourceConfiguration dataSourceConfiguration(SnowflakeOptions options, boolean streaming) {
    String url = required("--snowflakeAccountUrl", options.getSnowflakeAccountUrl());
    Matcher m = ACCOUNT_URL.matcher(url);
    if (!m.matches()) {
      throw new UsageException(
          "--snowflakeAccountUrl must look like https://<account>.snowflakecomputing.com, got " + url);
    }
    String host = m.group(1);
    String user = required("--snowflakeUser", options.getSnowflakeUser());
    String key = options.getSnowflakePrivateKey();
    String passphrase = options.getSnowflakePrivateKeyPassphrase();
    String password = options.getSnowflakePassword();
    String token = options.getSnowflakeOAuthToken();
    int methods = (key != null ? 1 : 0) + (password != null ? 1 : 0) + (token != null ? 1 : 0);
    if (methods != 1) {
      throw new UsageException(
          "give exactly one of --snowflakePrivateKey, --snowflakePassword and --snowflakeOAuthToken (got " + methods
              + ")");
    }
    if (passphrase != null && key == null) {
      throw new UsageException("--snowflakePrivateKeyPassphrase needs --snowflakePrivateKey");
    }
    if (streaming && (key == null || passphrase == null)) {
      throw new UsageException(
          "--streaming needs --snowflakePrivateKey and --snowflakePrivateKeyPassphrase: SnowflakeIO's Snowpipe client "
              + "authenticates only with an encrypted key pair");
    }
    SnowflakeIO.DataSourceConfiguration config =
        SnowflakeIO.DataSourceConfiguration.create()
            .withUrl("jdbc:snowflake://" + host)
            .withServerName(host)
            .withDatabase(identifier("--snowflakeDatabase", options.getSnowflakeDatabase()))
            .withSchema(identifier("--snowflakeSchema", options.getSnowflakeSchema()))
            .withWarehouse(identifier("--snowflakeWarehouse", options.getSnowflakeWarehouse()))
            .withRole(identifier("--snowflakeRole", options.getSnowflakeRole()));
    StaticValueProvider<String> userName = StaticValueProvider.of(user);
    if (key != null) {
      return passphrase == null
          ? config.withKeyPairRawAuth(userName, reference("--snowflakePrivateKey", key))
          : config.withKeyPairRawAuth(
              userName,
              reference("--snowflakePrivateKey", key),
              reference("--snowflakePrivateKeyPassphrase", passphrase));
    }
    if (password != null) {
      return config.withUsernamePasswordAuth(userName, reference("--snowflakePassword", password));
    }
    return config.withOAuth(reference("--snowflakeOAuthToken", token));
  }

  private static String stagingBucket(String value) {
    String bucket = required("--snowflakeStagingBucket", value);
    if (!bucket.startsWith("s3://") || !bucket.endsWith("/") || bucket.length() <= "s3://x/".length() - 1) {
      throw new UsageException("--snowflakeStagingBucket must be an s3://bucket/prefix/ ending with '/', got " + bucket);
    }
    return bucket;
  }

  private static String snowPipe(String value) {
    String template = required("--snowflakeSnowPipe", value);
    if (!template.contains(SnowflakeSql.TABLE_PLACEHOLDER)
        || !IDENTIFIER.matcher(template.replace(SnowflakeSql.TABLE_PLACEHOLDER, "t")).matches()) {
      throw new UsageException(
          "--snowflakeSnowPipe must be a pipe name containing {table} (one pipe per table), got " + template);
    }
    return template;
  }

  private static String identifier(String option, String value) {
    String name = required(option, value);
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new UsageException(option + " must be an unquoted Snowflake identifier ([A-Za-z_][A-Za-z0-9_$]*), got " + name);
    }
    return name;
  }

  /** A secret reference; a malformed value is reported without echoing it, since it may be a pasted secret. */
  private static SecretReference reference(String option, String value) {
    if (!SecretReference.isReference(value)) {
      throw new UsageException(option + " must be a reference, env:VARIABLE or file:/absolute/path, never the secret itself");
    }
    return SecretReference.of(value);
  }

  private static String required(String option, String value) {
    if (value == null || value.trim().isEmpty()) {
      throw new UsageException(option + " is required for the Snowflake sink");
    }
    return value.trim();
  }
}
