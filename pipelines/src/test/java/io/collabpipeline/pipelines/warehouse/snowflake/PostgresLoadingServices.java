package io.collabpipeline.pipelines.warehouse.snowflake;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeBatchServiceConfig;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeStreamingServiceConfig;
import org.postgresql.PGConnection;

/**
 * Snowflake's loading services, played by PostgreSQL: what SnowflakeIO hands to Snowflake (the
 * staged gzip CSV files and the stage table) is loaded with PostgreSQL's {@code COPY ... FROM STDIN
 * (FORMAT csv, QUOTE '''')}, the counterpart of Snowflake's {@code COPY INTO ...
 * FILE_FORMAT=(TYPE=CSV FIELD_OPTIONALLY_ENCLOSED_BY='''')}.
 *
 * <ul>
 *   <li>Batch (the COPY of SnowflakeIO's batch write): loads every listed file into {@code
 *       config.getTable()} over the connection of {@code config.getDataSourceProviderFn()}, exactly
 *       where the real service would COPY.
 *   <li>Streaming (Snowpipe's insertFiles): loads the listed files into the stage table of the
 *       folder they were staged in ({@code <bucket><table>/}, as the pipes of 04_loading.sql read
 *       {@code @stage/<table>/}). The MERGE is then the test's to run, as the Snowflake task would.
 * </ul>
 *
 * Every loaded file is recorded in {@code loaded_files(service, table_name, file_name)}, its name
 * relative to the staging folder (what Snowpipe's REST call receives), so tests can see what each
 * service was given.
 */
final class PostgresLoadingServices implements SnowflakeServices {
  private static final long serialVersionUID = 1L;

  static final String LOADED_FILES_DDL =
      "CREATE TABLE loaded_files (service text NOT NULL, table_name text NOT NULL, file_name text NOT NULL)";

  /** The database the streaming service loads (Snowpipe's config carries no data source). */
  private final String jdbcUrl;

  PostgresLoadingServices(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  @Override
  public BatchService getBatchService() {
    return new BatchService() {
      @Override
      public void write(SnowflakeBatchServiceConfig config) throws Exception {
        try (Connection c = config.getDataSourceProviderFn().apply(null).getConnection()) {
          load(c, "copy", config.getTable(), config.getStagingBucketDir(), config.getFilesList());
        }
      }

      @Override
      public String read(SnowflakeBatchServiceConfig config) {
        throw new UnsupportedOperationException("the curated sink never reads");
      }
    };
  }

  @Override
  public StreamingService getStreamingService() {
    return new StreamingService() {
      @Override
      public void write(SnowflakeStreamingServiceConfig config) throws Exception {
        String dir = config.getStagingBucketDir();
        String folder = Paths.get(dir).getFileName().toString();
        try (Connection c = DriverManager.getConnection(jdbcUrl)) {
          load(c, "snowpipe", folder + SnowflakeSql.STAGE_TABLE_SUFFIX, dir, config.getFilesList());
        }
      }

      @Override
      public String read(SnowflakeStreamingServiceConfig config) {
        throw new UnsupportedOperationException("the curated sink never reads");
      }
    };
  }

  private static void load(
      Connection c, String service, String table, String stagingDir, List<String> files)
      throws SQLException, IOException {
    PGConnection pg = c.unwrap(PGConnection.class);
    for (String listed : files) {
      // Snowpipe's list comes quoted ('path'), as SnowflakeIO's Concatenate builds it; its real
      // service strips the
      // quotes and the staging folder, and so does this one.
      String file = listed.replace("'", "");
      if (!file.startsWith(stagingDir)) {
        throw new IllegalStateException(
            "file " + file + " is not under the staging folder " + stagingDir);
      }
      try (InputStream in = new GZIPInputStream(Files.newInputStream(Paths.get(file)))) {
        pg.getCopyAPI().copyIn("COPY " + table + " FROM STDIN WITH (FORMAT csv, QUOTE '''')", in);
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO loaded_files VALUES (?, ?, ?)")) {
        ps.setString(1, service);
        ps.setString(2, table);
        ps.setString(3, file.substring(stagingDir.length()));
        ps.executeUpdate();
      }
    }
  }
}
