package io.collabpipeline.pipelines.warehouse.snowflake;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeBatchServiceConfig;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServices;
import org.apache.beam.sdk.io.snowflake.services.SnowflakeServicesImpl;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The {@link SnowflakeServices} that {@link WriteSnowflakeCurated} hands to SnowflakeIO: loading is
 * delegated (to SnowflakeIO's own COPY and Snowpipe services in production, to a test double
 * offline), and the batch service runs the table's MERGE file right after its COPY.
 *
 * <p>Why here: SnowflakeIO's write returns {@code PDone}, so nothing downstream can wait for the
 * COPY. Its batch write calls {@link SnowflakeServices.BatchService#write} exactly once per table,
 * from one DoFn, with the list of ALL staged files (a side input in the global window, so only
 * after every file of the bounded input is written), and returns only when the COPY statement has
 * completed. Running the MERGE after that call, in the same bundle, therefore merges exactly after
 * the load, and only if the load succeeded. If the worker dies in between, the runner retries the
 * bundle: Snowflake's load metadata skips files the first attempt already copied, and the MERGE is
 * idempotent, so the retry converges to the same table. The MERGE also merges rows left in the
 * stage table by an earlier failed run: harmless, since the newest (generation, pane_index) wins
 * either way.
 *
 * <p>The canary write ({@link WriteSnowflakeCanaries}) uses it too: the stage table names the MERGE
 * file ({@link SnowflakeSql#targetOfStageTable}), and the counters go to the writer's namespace.
 *
 * <p>Streaming is untouched: Snowpipe loads asynchronously, so the MERGE runs in Snowflake (a task
 * per table on a stream over its stage table, see 04_loading.sql).
 */
final class MergeAfterCopyServices implements SnowflakeServices {
  private static final long serialVersionUID = 1L;

  private final SnowflakeServices loader;
  private final String metricsNamespace;

  /** Counts the MERGEs' work in {@link WriteSnowflakeCurated#METRICS_NAMESPACE}. */
  MergeAfterCopyServices(SnowflakeServices loader) {
    this(loader, WriteSnowflakeCurated.METRICS_NAMESPACE);
  }

  /**
   * Loads with {@code loader} (null: SnowflakeIO's own services) and counts the MERGEs' work in the
   * counters of {@code metricsNamespace}, named as {@link WriteSnowflakeCurated}'s.
   */
  MergeAfterCopyServices(SnowflakeServices loader, String metricsNamespace) {
    this.loader = loader == null ? new SnowflakeServicesImpl() : loader;
    this.metricsNamespace = metricsNamespace;
  }

  @Override
  public BatchService getBatchService() {
    return new CopyThenMerge(loader.getBatchService(), metricsNamespace);
  }

  @Override
  public StreamingService getStreamingService() {
    return loader.getStreamingService();
  }

  /** The batch service: the delegate's COPY, then the MERGE of the stage table it loaded. */
  private static final class CopyThenMerge implements BatchService {
    /** Runs of a MERGE file that a concurrent writer's conflict may take (see {@link #merge}). */
    private static final int MERGE_ATTEMPTS = 3;

    private final BatchService copy;
    private final Counter merges;
    private final Counter rowsMerged;
    private final Counter stagedRowsCleared;
    private final Counter correctionsRecorded;

    CopyThenMerge(BatchService copy, String namespace) {
      this.copy = copy;
      this.merges = Metrics.counter(namespace, WriteSnowflakeCurated.MERGES_COUNTER);
      this.rowsMerged = Metrics.counter(namespace, WriteSnowflakeCurated.ROWS_MERGED_COUNTER);
      this.stagedRowsCleared =
          Metrics.counter(namespace, WriteSnowflakeCurated.STAGED_ROWS_CLEARED_COUNTER);
      this.correctionsRecorded =
          Metrics.counter(namespace, WriteSnowflakeCurated.CORRECTIONS_RECORDED_COUNTER);
    }

    @Override
    public String read(SnowflakeBatchServiceConfig config) throws Exception {
      return copy.read(config);
    }

    @Override
    public void write(SnowflakeBatchServiceConfig config) throws Exception {
      String table = SnowflakeSql.targetOfStageTable(config.getTable());
      // No rows of this table in the input: SnowflakeIO still calls us, with no files, and a COPY
      // naming no files
      // would fail. The MERGE still runs, to finish what an earlier failed run may have left
      // staged.
      if (!config.getFilesList().isEmpty()) {
        copy.write(config);
      }
      merge(config.getDataSourceProviderFn().apply(null), table);
    }

    /**
     * Runs the MERGE file of {@code table} in one transaction on {@code dataSource}: recording the
     * partial windows, the MERGE and the clearing commit together or not at all. The tables merge
     * concurrently, and two of them may record the same new window in {@code
     * pipeline_corrections_due} at once: where the engine enforces its key (PostgreSQL in the
     * tests) the later one fails with a unique violation, and the file, being idempotent, is run
     * again in a new transaction that sees the window recorded (Snowflake does not enforce the key,
     * see 02_curated_tables.sql).
     */
    private void merge(DataSource dataSource, String table) throws SQLException {
      for (int attempt = 1; ; attempt++) {
        try {
          mergeOnce(dataSource, table);
          return;
        } catch (SQLException e) {
          if (attempt >= MERGE_ATTEMPTS || !isConcurrentWriteConflict(e)) {
            throw e;
          }
        }
      }
    }

    /** A unique violation (23505) or a serialization failure (40001) from a concurrent writer. */
    private static boolean isConcurrentWriteConflict(SQLException e) {
      String state = e.getSQLState();
      return "23505".equals(state) || "40001".equals(state);
    }

    private void mergeOnce(DataSource dataSource, String table) throws SQLException {
      List<String> statements = SnowflakeSql.mergeStatements(table);
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
          int[] done = new int[SnowflakeSql.MergeStep.values().length];
          for (String sql : statements) {
            done[SnowflakeSql.stepOf(table, sql).ordinal()] += st.executeUpdate(sql);
          }
          connection.commit();
          merges.inc();
          correctionsRecorded.inc(done[SnowflakeSql.MergeStep.RECORD_DUE.ordinal()]);
          rowsMerged.inc(done[SnowflakeSql.MergeStep.MERGE.ordinal()]);
          stagedRowsCleared.inc(done[SnowflakeSql.MergeStep.CLEAR.ordinal()]);
        } catch (SQLException | RuntimeException e) {
          connection.rollback();
          throw new SQLException(
              "MERGE of "
                  + table
                  + SnowflakeSql.STAGE_TABLE_SUFFIX
                  + " into "
                  + table
                  + " failed: "
                  + e.getMessage(),
              e instanceof SQLException ? ((SQLException) e).getSQLState() : null,
              e);
        }
      }
    }
  }
}
