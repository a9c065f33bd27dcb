package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the outputs go. Unset stores default to folders of {@link #getDataDir()}. */
public interface StoreOptions extends PipelineOptions {
  @Description(
      "Local data directory of the embedded default; the raw store, quarantine and DuckDB warehouse go here "
          + "unless set on their own.")
  @Default.String("collab-data")
  String getDataDir();

  void setDataDir(String value);

  @Description(
      "Raw store: a directory or a filesystem URI prefix (Parquet, partitioned dt=YYYY-MM-DD/hr=HH). "
          + "Default: <dataDir>/raw.")
  String getRawStore();

  void setRawStore(String value);

  @Description(
      "Quarantine store: a directory or URI prefix (JSON lines with the original records; access-restricted). "
          + "Default: <dataDir>/quarantine.")
  String getQuarantineStore();

  void setQuarantineStore(String value);

  @Description(
      "JDBC URL of the warehouse for the curated tables. Default: jdbc:duckdb:<dataDir>/warehouse.duckdb.")
  String getWarehouseUrl();

  void setWarehouseUrl(String value);

  @Description("Parquet files per partition and window of the raw store.")
  @Default.Integer(1)
  Integer getRawShards();

  void setRawShards(Integer value);
}
