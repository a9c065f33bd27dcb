package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The Snowflake warehouse ({@code
 * io.collabpipeline.pipelines.warehouse.snowflake.WriteSnowflakeCurated}). Credentials are given by
 * reference only, {@code env:VARIABLE} or {@code file:/absolute/path}, and resolved on the workers:
 * no secret is ever an option value. Read and checked once, into typed values, by {@code
 * SnowflakeConfig.fromOptions} only. The object names must match the repository's DDL ({@code
 * pipelines/src/main/resources/io/collabpipeline/snowflake/}).
 */
public interface SnowflakeOptions extends PipelineOptions {
  @Description(
      "Snowflake account URL, https://<account>.snowflakecomputing.com (e.g. "
          + "https://myorg-myaccount.snowflakecomputing.com).")
  String getSnowflakeAccountUrl();

  void setSnowflakeAccountUrl(String value);

  @Description("Snowflake user the pipeline connects as (granted --snowflakeRole).")
  String getSnowflakeUser();

  void setSnowflakeUser(String value);

  @Description(
      "Key-pair authentication: reference to the user's PKCS#8 PEM private key, env:VAR or file:/path. "
          + "Required in streaming (Snowpipe's REST API authenticates with the key pair).")
  String getSnowflakePrivateKey();

  void setSnowflakePrivateKey(String value);

  @Description(
      "Reference (env:VAR or file:/path) to the passphrase of an encrypted --snowflakePrivateKey. "
          + "Required in streaming: SnowflakeIO's Snowpipe client only accepts an encrypted key.")
  String getSnowflakePrivateKeyPassphrase();

  void setSnowflakePrivateKeyPassphrase(String value);

  @Description(
      "Password authentication (batch only): reference to the password, env:VAR or file:/path.")
  String getSnowflakePassword();

  void setSnowflakePassword(String value);

  @Description(
      "OAuth authentication (batch only): reference to the access token, env:VAR or file:/path.")
  String getSnowflakeOAuthToken();

  void setSnowflakeOAuthToken(String value);

  @Description("Database holding the curated and stage tables (01_account.sql: collab).")
  String getSnowflakeDatabase();

  void setSnowflakeDatabase(String value);

  @Description("Schema holding the curated and stage tables (01_account.sql: curated).")
  String getSnowflakeSchema();

  void setSnowflakeSchema(String value);

  @Description("Warehouse that runs the batch COPY and MERGE (01_account.sql: collab_load_wh).")
  String getSnowflakeWarehouse();

  void setSnowflakeWarehouse(String value);

  @Description("Role the pipeline uses (01_account.sql: collab_loader).")
  String getSnowflakeRole();

  void setSnowflakeRole(String value);

  @Description(
      "Storage integration through which Snowflake reads the staging bucket (01_account.sql: "
          + "collab_curated_s3).")
  String getSnowflakeStorageIntegration();

  void setSnowflakeStorageIntegration(String value);

  @Description(
      "Where rows are staged as gzip CSV before COPY/Snowpipe: s3://bucket/prefix/ (trailing slash); each "
          + "table gets <prefix><table>/. Must be inside the integration's STORAGE_ALLOWED_LOCATIONS.")
  String getSnowflakeStagingBucket();

  void setSnowflakeStagingBucket(String value);

  @Description(
      "Streaming: the Snowpipe of each curated table, {table} standing for the table name.")
  @Default.String("{table}_stage_pipe")
  String getSnowflakeSnowPipe();

  void setSnowflakeSnowPipe(String value);
}
