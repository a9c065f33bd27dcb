package io.collabpipeline.pipelines.warehouse.snowflake;

import org.apache.beam.sdk.io.snowflake.SnowflakeIO;
import org.apache.beam.sdk.io.snowflake.enums.CreateDisposition;
import org.apache.beam.sdk.io.snowflake.enums.WriteDisposition;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * What every Snowflake write of the job shares ({@link WriteSnowflakeCurated}, {@link
 * WriteSnowflakeCanaries}): the checks of its settings and the SnowflakeIO write of one table's
 * rows into that table's stage table ({@link SnowflakeSql#STAGE_TABLE_SUFFIX}), staged as gzip CSV
 * under {@code <bucket><table>/}, loaded by COPY in batch and by the table's Snowpipe in streaming,
 * through {@link MergeAfterCopyServices} so that the batch COPY is followed by the table's MERGE
 * file. The tables, pipes and tasks come from the repository's DDL ({@code CREATE_NEVER}).
 */
final class SnowflakeStaging {
  private SnowflakeStaging() {}

  /**
   * Throws {@link IllegalArgumentException}, naming {@code writer} and the setting, unless the
   * settings make a write.
   */
  static void check(
      String writer,
      SnowflakeIO.@Nullable DataSourceConfiguration dataSource,
      @Nullable String bucket,
      @Nullable String integration,
      boolean streaming,
      String snowPipeTemplate,
      Duration flushTimeLimit,
      int flushRowLimit) {
    if (dataSource == null) {
      throw new IllegalArgumentException(
          writer + " needs withDataSourceConfiguration(config), the Snowflake connection");
    }
    if (bucket == null || bucket.isEmpty() || !bucket.endsWith("/")) {
      throw new IllegalArgumentException(
          writer + " needs withStagingBucketName(dir) ending with '/', got " + bucket);
    }
    if (integration == null || integration.isEmpty()) {
      throw new IllegalArgumentException(
          writer
              + " needs withStorageIntegrationName(name), the integration Snowflake reads the bucket with");
    }
    if (streaming && !snowPipeTemplate.contains(SnowflakeSql.TABLE_PLACEHOLDER)) {
      throw new IllegalArgumentException(
          writer
              + ".withSnowPipe(template) needs "
              + SnowflakeSql.TABLE_PLACEHOLDER
              + " in the template (one pipe per table), got "
              + snowPipeTemplate);
    }
    if (flushRowLimit < 1 || !flushTimeLimit.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException(
          writer + ".withFlushRowLimit(n) and withFlushTimeLimit(d) need n >= 1 and d > 0");
    }
  }

  /**
   * The SnowflakeIO write of the rows of the table named {@code table} into its stage table: COPY
   * then the MERGE in batch, Snowpipe {@code snowPipeTemplate} (with the table's name for {@value
   * SnowflakeSql#TABLE_PLACEHOLDER}) in streaming.
   */
  static <T> SnowflakeIO.Write<T> write(
      String table,
      SnowflakeIO.DataSourceConfiguration dataSource,
      String bucket,
      String integration,
      SnowflakeIO.UserDataMapper<T> mapper,
      SnowflakeServices services,
      boolean streaming,
      String snowPipeTemplate,
      Duration flushTimeLimit,
      int flushRowLimit) {
    return write(
        table,
        table + SnowflakeSql.STAGE_TABLE_SUFFIX,
        bucket + table + "/",
        dataSource,
        integration,
        mapper,
        services,
        streaming,
        snowPipeTemplate,
        flushTimeLimit,
        flushRowLimit);
  }

  /**
   * {@link #write} into {@code stageTable} through the staging directory {@code stagingPath} (a
   * replay stages apart from the live stage tables, which the streaming tasks merge).
   */
  static <T> SnowflakeIO.Write<T> write(
      String table,
      String stageTable,
      String stagingPath,
      SnowflakeIO.DataSourceConfiguration dataSource,
      String integration,
      SnowflakeIO.UserDataMapper<T> mapper,
      SnowflakeServices services,
      boolean streaming,
      String snowPipeTemplate,
      Duration flushTimeLimit,
      int flushRowLimit) {
    SnowflakeIO.Write<T> write =
        SnowflakeIO.<T>write()
            .withDataSourceConfiguration(dataSource)
            .to(stageTable)
            .withStagingBucketName(stagingPath)
            .withStorageIntegrationName(integration)
            .withUserDataMapper(mapper)
            .withCreateDisposition(CreateDisposition.CREATE_NEVER)
            .withWriteDisposition(WriteDisposition.APPEND)
            .withSnowflakeServices(services);
    if (streaming) {
      write =
          write
              .withSnowPipe(snowPipeTemplate.replace(SnowflakeSql.TABLE_PLACEHOLDER, table))
              .withFlushTimeLimit(flushTimeLimit)
              .withFlushRowLimit(flushRowLimit);
    }
    return write;
  }
}
