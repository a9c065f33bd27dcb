package io.collabpipeline.monitoring;

import io.collabpipeline.pipelines.options.KafkaOptions;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * The freshness probe's options: the job's Kafka options (the topic the job reads, the broker and
 * its security settings, which the probe's producer uses too), the job's warehouse (on Snowflake
 * with the job's {@code --snowflake*} connection options, credentials by reference; the staging
 * options are not read), and the probe's cadence.
 */
public interface CanaryOptions extends KafkaOptions, SnowflakeOptions {
  @Description("Loopback or interface address to serve /metrics on.")
  @Default.String("127.0.0.1")
  String getBindAddress();

  void setBindAddress(String value);

  @Description("Port to serve /metrics on (0: a free one, printed on start).")
  @Default.Integer(9466)
  int getPort();

  void setPort(int value);

  // No @Default, like ExporterOptions: the job's StoreOptions declares the same property.
  @Description(
      "JDBC URL of the job's warehouse (as the job's --warehouseUrl), where the job writes"
          + " pipeline_canary and the probe writes pipeline_freshness; required. PostgreSQL, or"
          + " jdbc:snowflake://<account>.snowflakecomputing.com with the --snowflake* connection"
          + " options: the embedded DuckDB file is held by the job's process.")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("How often one canary is published into every partition of the topic.")
  @Default.String("10s")
  String getInterval();

  void setInterval(String value);

  @Description("How often the warehouse is asked which canaries are queryable (the resolution).")
  @Default.String("1s")
  String getPollInterval();

  void setPollInterval(String value);

  @Description(
      "A canary not queryable within this long after publication is slow (the freshness SLO).")
  @Default.String("3m")
  String getSlowAfter();

  void setSlowAfter(String value);

  @Description("The sliding window of publication times the P50/P95 gauges are computed over.")
  @Default.String("15m")
  String getQuantileWindow();

  void setQuantileWindow(String value);

  @Description("How long a canary that never became queryable is waited for before it is dropped.")
  @Default.String("1h")
  String getForgetAfter();

  void setForgetAfter(String value);
}
