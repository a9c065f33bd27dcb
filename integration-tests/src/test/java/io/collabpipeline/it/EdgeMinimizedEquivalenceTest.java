package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.MinimizedEvents;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.validate.EventValidator;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The pipeline's outputs are the same whether the events were minimized at the edge (the collector,
 * the producer library) or arrive full from an older producer: the same workload, once as sent and
 * once with every record the edge accepts replaced by its minimized wire form, gives the same raw
 * store rows, the same curated tables and completeness, and the same quarantine.
 */
@RunWith(JUnit4.class)
public class EdgeMinimizedEquivalenceTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(400)
          .withSeed(11L)
          .withStart(Instant.parse("2026-11-02T22:40:00Z"))
          .withSyntheticRate(0.5)
          .withDuplicateShare(0.05)
          .withMalformedShare(0.04);

  /** What the collector does before Kafka: the edge validator, then the minimized wire form. */
  private static final class MinimizeAtTheEdgeFn extends DoFn<RawRecord, RawRecord> {
    private static final Counter MINIMIZED = Metrics.counter("test", "minimized_at_edge");
    private transient EventValidator edge;

    @Setup
    public void setup() {
      edge =
          new EventValidator(
              EventSchemaRegistry.loadDefault(),
              new Pseudonymizer(KeyReference.dev().resolve()),
              ValidateEvents.DEFAULT_MAX_RECORD_BYTES,
              ValidateEvents.DEFAULT_MAX_NESTING_DEPTH,
              ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
              ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis());
    }

    @ProcessElement
    public void process(@Element RawRecord r, OutputReceiver<RawRecord> out) {
      CollabEvent e = edge.validate(r).event();
      if (e == null) {
        out.output(r); // refused at the edge: the pipeline refuses it the same way
      } else {
        MINIMIZED.inc();
        out.output(
            RawRecord.of(
                MinimizedEvents.toJson(e, edge.keyId()), r.source(), r.receivedAtMillis()));
      }
    }
  }

  @Test
  public void edgeMinimizedAndFullEventsGiveIdenticalOutputs() throws Exception {
    GraphConfig full = run("full", false);
    GraphConfig edge = run("edge", true);

    assertThat(rawRows(edge), equalTo(rawRows(full)));
    assertThat(rawRows(full).size(), greaterThan(350));
    for (CuratedTable table : CuratedTable.values()) {
      Set<CuratedRow> a = rows(full, table);
      assertThat(table.tableName(), rows(edge, table), equalTo(a));
      assertThat(table.tableName(), a.size(), greaterThan(0));
    }
    assertThat(
        QuarantineIO.readRecords(edge.quarantineStore()).size(),
        equalTo(QuarantineIO.readRecords(full.quarantineStore()).size()));
  }

  private static GraphConfig run(String name, boolean minimizeAtEdge) throws Exception {
    Path dir = TMP.newFolder(name).toPath();
    GraphConfig config =
        GraphConfig.underDataDir(dir.toString()).toBuilder().setGeneration(1000L).build();
    // Embedded Flink batch: the DirectRunner's per-element checks make even 400 events take
    // minutes.
    PipelineOptions options = EmbeddedFlink.options(false, 2);
    FileSystems.setDefaultPipelineOptions(options);
    Pipeline p = Pipeline.create(options);
    PCollection<RawRecord> records = p.apply("ReadGenerator", GeneratorSource.of(SPEC));
    if (minimizeAtEdge) {
      records = records.apply("MinimizeAtTheEdge", ParDo.of(new MinimizeAtTheEdgeFn()));
    }
    CollabGraph.apply(records, config);
    PipelineResult result = p.run();
    assertThat(result.waitUntilFinish(), equalTo(PipelineResult.State.DONE));
    if (minimizeAtEdge) {
      long minimized = Counters.committedOrAttempted(result, "test", "minimized_at_edge");
      assertThat("the edge minimized the records it accepted", minimized, greaterThan(350L));
    }
    return config;
  }

  private static Set<CuratedRow> rows(GraphConfig config, CuratedTable table) throws Exception {
    try (Warehouse w = config.warehouse().open()) {
      return new HashSet<>(w.tables().get().read(table));
    }
  }

  /** Every raw-store row, every column, in event-id order. */
  private static List<String> rawRows(GraphConfig config) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT * FROM read_parquet('"
                    + config.rawStore()
                    + "/**/*.parquet', hive_partitioning = true) ORDER BY event_id, received_at")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.append(md.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
        }
        rows.add(row.toString());
      }
    }
    return rows;
  }
}
