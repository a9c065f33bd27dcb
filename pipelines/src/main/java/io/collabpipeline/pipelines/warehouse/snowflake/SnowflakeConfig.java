package io.collabpipeline.pipelines.warehouse.snowflake;

import com.google.auto.value.AutoValue;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.options.ValueProvider.StaticValueProvider;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The Snowflake warehouse's settings as typed values, checked once: {@link #fromOptions} is the
 * only code that reads {@link SnowflakeOptions}, and each mistake is a one-line {@link
 * UsageException} naming the option. Secrets stay references ({@link SecretReference}, {@code env:}
 * or {@code file:}) resolved on the worker that connects: neither the serialized config nor {@link
 * #toString()} nor any message carries a secret's value. {@link #write} builds the transform, so
 * {@link WriteSnowflakeCurated} itself never reads options.
 */
@AutoValue
public abstract class SnowflakeConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final Pattern ACCOUNT_URL =
      Pattern.compile("https://([A-Za-z0-9][A-Za-z0-9._-]*\\.snowflakecomputing\\.com)/?");

  /** Unquoted Snowflake identifiers: what the DDL uses, and what can be interpolated safely. */
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

  /**
   * The connection: account, user, credentials (as references), database, schema, warehouse, role.
   */
  public abstract SnowflakeIO.DataSourceConfiguration dataSourceConfiguration();

  /** Where rows are staged, {@code s3://bucket/prefix/} (trailing slash). */
  public abstract String stagingBucket();

  /** The storage integration through which Snowflake reads the staging bucket. */
  public abstract String storageIntegration();

  /**
   * The Snowpipe of each table in streaming, {@value SnowflakeSql#TABLE_PLACEHOLDER} standing for
   * the table.
   */
  public abstract String snowPipeTemplate();

  /**
   * The services that load staged files (COPY, Snowpipe); null for SnowflakeIO's own. Only tests
   * set them ({@link #withSnowflakeServices}), to load into a local SQL engine.
   */
  public abstract @Nullable SnowflakeServices snowflakeServices();

  /**
   * Settings given directly, unchecked (tests and tools; the command line goes through {@link
   * #fromOptions}, which checks each one): a connection, a staging folder ending with '/', an
   * integration name, the default Snowpipe template, SnowflakeIO's own services.
   */
  public static SnowflakeConfig of(
      SnowflakeIO.DataSourceConfiguration dataSource,
      String stagingBucket,
      String storageIntegration) {
    return new AutoValue_SnowflakeConfig(
        dataSource,
        stagingBucket,
        storageIntegration,
        SnowflakeSql.DEFAULT_SNOW_PIPE_TEMPLATE,
        null);
  }

  /** These settings with {@code services} loading the staged files (tests: a local engine). */
  public SnowflakeConfig withSnowflakeServices(SnowflakeServices services) {
    return new AutoValue_SnowflakeConfig(
        dataSourceConfiguration(),
        stagingBucket(),
        storageIntegration(),
        snowPipeTemplate(),
        services);
  }

  /**
   * Whether {@code options} configure Snowflake at all ({@code --snowflakeAccountUrl} is given), so
   * that a caller can say what selecting Snowflake needs before {@link #fromOptions} names the
   * first missing option.
   */
  public static boolean isGiven(SnowflakeOptions options) {
    return options.getSnowflakeAccountUrl() != null;
  }

  /**
   * Checks {@code options} and returns their typed values. Whether the job is streaming ({@code
   * --streaming}) decides which credentials are acceptable; the write itself picks COPY or Snowpipe
   * from its input's boundedness.
   */
  public static SnowflakeConfig fromOptions(SnowflakeOptions options) {
    boolean streaming = options.as(StreamingOptions.class).isStreaming();
    return new AutoValue_SnowflakeConfig(
        dataSource(options, streaming),
        stagingBucket(options.getSnowflakeStagingBucket()),
        identifier("--snowflakeStorageIntegration", options.getSnowflakeStorageIntegration()),
        snowPipe(options.getSnowflakeSnowPipe()),
        null);
  }

  /** The write of the curated rows of a job of {@code generation} (positive) into Snowflake. */
  public WriteSnowflakeCurated write(long generation) {
    if (generation <= 0) {
      throw new UsageException("--generation must be a positive number, got " + generation);
    }
    WriteSnowflakeCurated write =
        WriteSnowflakeCurated.write()
            .withDataSourceConfiguration(dataSourceConfiguration())
            .withStagingBucketName(stagingBucket())
            .withStorageIntegrationName(storageIntegration())
            .withSnowPipe(snowPipeTemplate())
            .withGeneration(generation);
    return snowflakeServices() == null ? write : write.withSnowflakeServices(snowflakeServices());
  }

  /**
   * A raw replay's write of generation {@code generation} into the replay stage tables (COPY only,
   * {@link WriteSnowflakeCurated#withReplayStaging}).
   */
  public WriteSnowflakeCurated writeStaged(long generation) {
    return write(generation).withReplayStaging();
  }

  /**
   * The driver's handle on this Snowflake warehouse: the generation log and the replay staging,
   * diff and commit, over a JDBC connection opened on first use with the same credentials (by
   * reference) as the write.
   */
  public SnowflakeWarehouse open() {
    return SnowflakeWarehouse.of(
        SnowflakeIO.DataSourceProviderFromDataSourceConfiguration.of(dataSourceConfiguration()));
  }

  /**
   * The write of the freshness probe's canary events into {@code pipeline_canary}, through the same
   * staging, integration and Snowpipe template as {@link #write}.
   */
  public WriteSnowflakeCanaries writeCanaries() {
    return WriteSnowflakeCanaries.write()
        .withDataSourceConfiguration(dataSourceConfiguration())
        .withStagingBucketName(stagingBucket())
        .withStorageIntegrationName(storageIntegration())
        .withSnowPipe(snowPipeTemplate());
  }

  /**
   * The connection alone, for a client that only queries (the freshness probe, {@code
   * bin/collab-canary}): account, user, one credential reference, database, schema, warehouse and
   * role, checked as {@link #fromOptions} checks them, without the staging settings; any of the
   * three credential kinds (only Snowpipe needs a key pair). Secrets stay references until {@link
   * SnowflakeIO.DataSourceProviderFromDataSourceConfiguration} connects.
   */
  public static SnowflakeIO.DataSourceConfiguration connectionFromOptions(
      SnowflakeOptions options) {
    return dataSource(options, false);
  }

  /** The account, staging and names; never a credential. */
  @Override
  public final String toString() {
    return "SnowflakeConfig{"
        + dataSourceConfiguration().getUrl()
        + ", stagingBucket="
        + stagingBucket()
        + ", storageIntegration="
        + storageIntegration()
        + ", snowPipe="
        + snowPipeTemplate()
        + "}";
  }

  /** The connection the options describe; secrets stay references until a worker connects. */
  private static SnowflakeIO.DataSourceConfiguration dataSource(
      SnowflakeOptions options, boolean streaming) {
    String url = required("--snowflakeAccountUrl", options.getSnowflakeAccountUrl());
    Matcher m = ACCOUNT_URL.matcher(url);
    if (!m.matches()) {
      throw new UsageException(
          "--snowflakeAccountUrl must look like https://<account>.snowflakecomputing.com, got "
              + url);
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
          "give exactly one of --snowflakePrivateKey, --snowflakePassword and --snowflakeOAuthToken (got "
              + methods
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
    if (!bucket.startsWith("s3://")
        || !bucket.endsWith("/")
        || bucket.length() <= "s3://x/".length() - 1) {
      throw new UsageException(
          "--snowflakeStagingBucket must be an s3://bucket/prefix/ ending with '/', got " + bucket);
    }
    return bucket;
  }

  private static String snowPipe(String value) {
    String template = required("--snowflakeSnowPipe", value);
    if (!template.contains(SnowflakeSql.TABLE_PLACEHOLDER)
        || !IDENTIFIER.matcher(template.replace(SnowflakeSql.TABLE_PLACEHOLDER, "t")).matches()) {
      throw new UsageException(
          "--snowflakeSnowPipe must be a pipe name containing {table} (one pipe per table), got "
              + template);
    }
    return template;
  }

  private static String identifier(String option, String value) {
    String name = required(option, value);
    if (!IDENTIFIER.matcher(name).matches()) {
      throw new UsageException(
          option
              + " must be an unquoted Snowflake identifier ([A-Za-z_][A-Za-z0-9_$]*), got "
              + name);
    }
    return name;
  }

  /**
   * A secret reference; a malformed value is reported without echoing it, since it may be a pasted
   * secret.
   */
  private static SecretReference reference(String option, String value) {
    if (!SecretReference.isReference(value)) {
      throw new UsageException(
          option
              + " must be a reference, env:VARIABLE or file:/absolute/path, never the secret itself");
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
