package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@link DiffReport}: the text and JSON renderings of a {@link WarehouseDiff}. */
public class DiffReportTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final LocalDate DAY = LocalDate.of(2026, 11, 22);
  private static final long DAY_START = DAY.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  private static final long HOUR = 3_600_000L;

  private static CuratedRow editors(long windowStart, String workspace, long n) {
    return CuratedRow.activeEditors(windowStart, Granularity.HOUR, workspace, n);
  }

  private static WarehouseDiff.TableDiff unchanged(CuratedTable table, long n) {
    return WarehouseDiff.TableDiff.of(table, n, n, 0, 0, 0, 0, List.of(), List.of(), null);
  }

  /**
   * active_editors: ws2 at 23:00 removed (30), ws1 at 05:00 changed 20 -> 25, ws3 at 12:00 added
   * (3).
   */
  private static WarehouseDiff diff(Long newerGeneration) {
    List<WarehouseDiff.RowChange> changes =
        List.of(
            WarehouseDiff.RowChange.of(editors(DAY_START + 23 * HOUR, "ws2", 30), null),
            WarehouseDiff.RowChange.of(
                editors(DAY_START + 5 * HOUR, "ws1", 20), editors(DAY_START + 5 * HOUR, "ws1", 25)),
            WarehouseDiff.RowChange.of(null, editors(DAY_START + 12 * HOUR, "ws3", 3)));
    WarehouseDiff.TableDiff editors =
        WarehouseDiff.TableDiff.of(
            CuratedTable.ACTIVE_EDITORS,
            4,
            4,
            1,
            1,
            1,
            2,
            List.of(
                WarehouseDiff.Window.of(DAY_START + 5 * HOUR, "hour"),
                WarehouseDiff.Window.of(DAY_START + 12 * HOUR, "hour"),
                WarehouseDiff.Window.of(DAY_START + 23 * HOUR, "hour")),
            changes,
            null);
    WarehouseDiff.TableDiff fanout =
        WarehouseDiff.TableDiff.of(
            CuratedTable.NOTIFICATION_FANOUT,
            1,
            1,
            0,
            0,
            0,
            0,
            List.of(),
            List.of(),
            newerGeneration);
    return WarehouseDiff.of(
        10,
        ReplayScope.day(DAY),
        List.of(editors, unchanged(CuratedTable.TASK_UPDATE_VELOCITY, 3), fanout));
  }

  @Test
  public void theTextNamesPerTableTheCountsTheWindowsAndTheLargestChangesWithBeforeAndAfter() {
    String text = DiffReport.text(diff(null));
    assertThat(
        text,
        containsString(
            "diff of generation 10 for 2026-11-22..2026-11-22: 3 rows would change in 3 windows"));
    assertThat(
        text,
        containsString(
            "active_editors: 4 rows before, 4 after; 1 added, 1 removed, 1 changed in 3 windows"));
    assertThat(text, containsString("2 staged rows outside the range"));
    assertThat(
        text,
        containsString(
            "windows: 2026-11-22T05:00:00Z hour, 2026-11-22T12:00:00Z hour, 2026-11-22T23:00:00Z hour"));
    assertThat(
        text,
        containsString(
            "removed  window_start=2026-11-22T23:00:00Z granularity=hour workspace_gid=ws2  active_editors 30 -> -\n"));
    assertThat(
        text,
        containsString(
            "changed  window_start=2026-11-22T05:00:00Z granularity=hour workspace_gid=ws1  active_editors 20 -> 25"));
    assertThat(
        text,
        containsString(
            "added    window_start=2026-11-22T12:00:00Z granularity=hour workspace_gid=ws3  active_editors - -> 3\n"));
    assertThat(
        text,
        containsString(
            "task_update_velocity: 3 rows before, 3 after; 0 added, 0 removed, 0 changed"));
    assertThat(text, not(containsString("REFUSED")));
    // removed first: the largest change leads
    assertThat(text.indexOf("removed  ") < text.indexOf("changed  "), is(true));
  }

  @Test
  public void theTextSaysWhenACommitWouldBeRefusedAndWhenNothingChanges() {
    assertThat(
        DiffReport.text(diff(50L)),
        containsString(
            "a commit would be REFUSED: notification_fanout holds rows of the newer generation 50"));
    WarehouseDiff empty =
        WarehouseDiff.of(
            11,
            ReplayScope.day(DAY),
            List.of(
                unchanged(CuratedTable.ACTIVE_EDITORS, 3),
                unchanged(CuratedTable.TASK_UPDATE_VELOCITY, 3),
                unchanged(CuratedTable.NOTIFICATION_FANOUT, 3)));
    assertThat(
        DiffReport.text(empty),
        containsString("diff of generation 11 for 2026-11-22..2026-11-22: no row would change"));
  }

  @Test
  public void theTextListsAtMostTenWindowsPerTableAndCountsTheRest() {
    List<WarehouseDiff.Window> windows = new ArrayList<>();
    for (int h = 0; h < 13; h++) {
      windows.add(WarehouseDiff.Window.of(DAY_START + h * HOUR, "hour"));
    }
    WarehouseDiff diff =
        WarehouseDiff.of(
            10,
            ReplayScope.day(DAY),
            List.of(
                WarehouseDiff.TableDiff.of(
                    CuratedTable.ACTIVE_EDITORS, 13, 13, 0, 0, 13, 0, windows, List.of(), null)));
    String text = DiffReport.text(diff);
    assertThat(text, containsString("2026-11-22T09:00:00Z hour and 3 more"));
    assertThat(text, not(containsString("2026-11-22T10:00:00Z")));
  }

  @Test
  public void theJsonCarriesEveryCountWindowAndChangeAndIsSavedToTheGivenFile() throws Exception {
    WarehouseDiff diff = diff(50L);
    Path file = tmp.getRoot().toPath().resolve("reports/diff.json");
    assertThat(DiffReport.saveJson(diff, file), equalTo(file));
    String saved = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    assertThat(saved, equalTo(DiffReport.json(diff)));

    JsonNode root = new ObjectMapper().readTree(saved);
    assertThat(root.get("generation").asLong(), is(10L));
    assertThat(root.get("from").asText(), is("2026-11-22"));
    assertThat(root.get("to").asText(), is("2026-11-22"));
    assertThat(root.get("wouldBeRefused").asBoolean(), is(true));
    JsonNode editors = root.get("tables").get(0);
    assertThat(editors.get("table").asText(), is("active_editors"));
    assertThat(editors.get("rowsAdded").asLong(), is(1L));
    assertThat(editors.get("rowsRemoved").asLong(), is(1L));
    assertThat(editors.get("rowsChanged").asLong(), is(1L));
    assertThat(editors.get("rowsOutsideScope").asLong(), is(2L));
    assertThat(editors.get("newerGeneration").isNull(), is(true));
    assertThat(editors.get("windowsChanged").size(), is(3));
    assertThat(
        editors.get("windowsChanged").get(0).get("windowStart").asText(),
        is("2026-11-22T05:00:00Z"));
    JsonNode removed = editors.get("largestChanges").get(0);
    assertThat(removed.get("kind").asText(), is("removed"));
    assertThat(removed.get("key").get("workspace_gid").asText(), is("ws2"));
    assertThat(removed.get("key").get("window_start").asText(), is("2026-11-22T23:00:00Z"));
    assertThat(removed.get("magnitude").asDouble(), is(30.0));
    assertThat(removed.get("before").get("active_editors").asLong(), is(30L));
    assertThat(removed.get("after").isNull(), is(true));
    JsonNode changed = editors.get("largestChanges").get(1);
    assertThat(changed.get("before").get("active_editors").asLong(), is(20L));
    assertThat(changed.get("after").get("active_editors").asLong(), is(25L));
    assertThat(root.get("tables").get(2).get("newerGeneration").asLong(), is(50L));
  }
}
