package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.SnowflakeOptions;
import io.collabpipeline.pipelines.warehouse.snowflake.WriteSnowflakeCurated;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link WarehouseTargets}: a {@code --warehouseUrl} becomes a JDBC or Snowflake {@link
 * WarehouseTarget} whose types say what it can do (a staged write and a handle's concerns, or
 * none), with one-line usage errors naming the option.
 */
public class WarehouseTargetsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final String SNOWFLAKE_URL =
      "jdbc:snowflake://acme.snowflakecomputing.com/?user=etl&password=hunter2";

  private static SnowflakeOptions snowflake(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(SnowflakeOptions.class);
  }

  private static SnowflakeOptions completeSnowflake() {
    return snowflake(
        "--snowflakeAccountUrl=https://myorg-collab.snowflakecomputing.com",
        "--snowflakeUser=collab_pipeline",
        "--snowflakePassword=env:SNOWFLAKE_PASSWORD",
        "--snowflakeDatabase=collab",
        "--snowflakeSchema=curated",
        "--snowflakeWarehouse=collab_load_wh",
        "--snowflakeRole=collab_loader",
        "--snowflakeStorageIntegration=collab_curated_s3",
        "--snowflakeStagingBucket=s3://collab-curated-staging/snowflake/");
  }

  @Test
  public void aJdbcTargetWritesThroughWriteCuratedAndOpensEveryConcern() throws Exception {
    String url = "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("w.duckdb");
    WarehouseTarget target = WarehouseTargets.fromOptions(url, snowflake());
    assertThat(target, equalTo(WarehouseTargets.jdbc(url)));

    WriteCurated live = (WriteCurated) target.writeLive(42L);
    assertThat(live.generation(), is(42L));
    assertThat(live.mode(), is(WriteCurated.Mode.LIVE));
    WriteCurated staged = (WriteCurated) target.writeStaged(43L).get();
    assertThat(staged.generation(), is(43L));
    assertThat(staged.mode(), is(WriteCurated.Mode.STAGING));

    try (Warehouse w = target.open()) {
      assertThat(w, instanceOf(JdbcWarehouse.class));
      assertThat(
          w.tables().isPresent() && w.replays().isPresent() && w.generationLog().isPresent(),
          is(true));
      w.tables().get().ensureTables();
      assertThat(w.generationLog().get().entries().isEmpty(), is(true));
    }
    assertThat(SerializableUtils.clone(target), equalTo(target));
  }

  @Test
  public void aJdbcTargetDescribesItselfWithoutItsPassword() {
    WarehouseTarget target =
        WarehouseTargets.jdbc("jdbc:postgresql://db:5432/collab?user=etl&password=hunter2");
    assertThat(
        target.describe(), equalTo("jdbc:postgresql://db:5432/collab?user=etl&password=***"));
    assertThat(target.toString(), not(containsString("hunter2")));
  }

  @Test
  public void aSnowflakeTargetWritesLiveAndStagedAndItsHandleLogsAndReplaysWithoutConnecting()
      throws Exception {
    WarehouseTarget target = WarehouseTargets.fromOptions(SNOWFLAKE_URL, completeSnowflake());
    assertThat(target.writeLive(42L), instanceOf(WriteSnowflakeCurated.class));
    assertThat(displayed(target.writeLive(42L), "replayStaging").get(), is(false));
    assertThat(target.writeStaged(43L).get(), instanceOf(WriteSnowflakeCurated.class));
    assertThat(displayed(target.writeStaged(43L).get(), "replayStaging").get(), is(true));
    assertThat(displayed(target.writeStaged(43L).get(), "generation").get(), is(43L));
    // No Snowflake here: the handle connects only when a concern runs SQL.
    try (Warehouse w = target.open()) {
      assertThat(w.tables().isPresent(), is(false));
      assertThat(w.replays().isPresent() && w.generationLog().isPresent(), is(true));
    }
    assertThat(target.describe(), containsString("password=***"));
    assertThat(target.toString(), not(containsString("hunter2")));
    assertThat(SerializableUtils.clone(target), equalTo(target));
  }

  private static java.util.Optional<Object> displayed(
      org.apache.beam.sdk.transforms.PTransform<?, ?> transform, String key) {
    return org.apache.beam.sdk.transforms.display.DisplayData.from(transform).items().stream()
        .filter(item -> item.getKey().equals(key))
        .map(item -> item.getValue())
        .findFirst();
  }

  @Test
  public void aSnowflakeTargetFencesThePartialWindowsOfAStatelessStart() {
    WarehouseTarget target = WarehouseTargets.fromOptions(SNOWFLAKE_URL, completeSnowflake());
    assertThat(target.fencesPartialWindows(), is(true));
    PartialWindows partial =
        PartialWindows.of(
            java.time.Instant.parse("2026-03-02T10:30:00Z"), java.time.Duration.ofHours(1));
    assertThat(
        displayed(target.writeLive(42L, partial), "seenWholeFrom"),
        equalTo(java.util.Optional.of("2026-03-02T10:30:00Z")));
    assertThat(displayed(target.writeLive(42L, null), "seenWholeFrom").isPresent(), is(false));
    assertThat(displayed(target.writeLive(42L), "seenWholeFrom").isPresent(), is(false));
  }

  @Test
  public void snowflakeWithoutItsSettingsSaysWhatToAdd() {
    UsageException e =
        assertThrows(
            UsageException.class, () -> WarehouseTargets.fromOptions(SNOWFLAKE_URL, snowflake()));
    assertThat(
        e.getMessage(),
        containsString("--warehouseUrl=jdbc:snowflake://acme.snowflakecomputing.com/"));
    assertThat(
        e.getMessage(), containsString("selects Snowflake: also give --snowflakeAccountUrl"));
    assertThat(e.getMessage(), not(containsString("hunter2")));
  }

  @Test
  public void aSnowflakeSettingMistakeNamesTheOption() {
    SnowflakeOptions options = completeSnowflake();
    options.setSnowflakeRole("collab-loader");
    UsageException e =
        assertThrows(
            UsageException.class, () -> WarehouseTargets.fromOptions(SNOWFLAKE_URL, options));
    assertThat(e.getMessage(), containsString("--snowflakeRole"));
  }

  @Test
  public void anUnsupportedUrlListsTheSupportedSchemesOnOneLine() {
    for (UsageException e :
        new UsageException[] {
          assertThrows(
              UsageException.class,
              () -> WarehouseTargets.fromOptions("jdbc:mysql://x/y?password=hunter2", snowflake()))
        }) {
      assertThat(
          e.getMessage(),
          containsString("--warehouseUrl=jdbc:mysql://x/y?password=*** is not supported"));
      assertThat(e.getMessage(), containsString("jdbc:duckdb:"));
      assertThat(e.getMessage(), containsString("jdbc:postgresql:"));
      assertThat(e.getMessage(), containsString("jdbc:snowflake:"));
      assertThat(e.getMessage(), not(containsString("\n")));
    }
  }
}
