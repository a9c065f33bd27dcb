package io.collabpipeline.monitoring;

import io.collabpipeline.pipelines.options.KafkaOptions;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * The exporter's options: the job's own Kafka options (so the same {@code --kafka*} values as the
 * job's command line name the topics and group whose lag is exported), the warehouse URL, and on
 * Snowflake the job's {@code --snowflake*} connection options (credentials by reference).
 */
public interface ExporterOptions extends KafkaOptions, SnowflakeOptions {
  @Description("Loopback or interface address to serve /metrics on.")
  @Default.String("127.0.0.1")
  String getBindAddress();

  void setBindAddress(String value);

  @Description("Port to serve /metrics on (0: a free one, printed on start).")
  @Default.Integer(9464)
  int getPort();

  void setPort(int value);

  @Description("Export the job's consumer lag from the Kafka broker (--kafka* options).")
  @Default.Boolean(true)
  boolean getExportKafkaLag();

  void setExportKafkaLag(boolean value);

  // No @Default: the job's StoreOptions declares the same property without one, and Beam refuses
  // inconsistent annotations once both interfaces are registered in a JVM.
  @Description(
      "JDBC URL of the job's warehouse (as the job's --warehouseUrl); unset: no warehouse series.")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("How far back closed completeness hours are checked.")
  @Default.String("26h")
  String getCompletenessLookback();

  void setCompletenessLookback(String value);

  @Description(
      "How long after its end an hour counts as open (late records, early firings, the write).")
  @Default.String("20m")
  String getCompletenessGrace();

  void setCompletenessGrace(String value);
}
