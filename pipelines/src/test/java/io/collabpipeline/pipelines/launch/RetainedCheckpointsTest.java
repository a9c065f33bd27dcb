package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.Assert;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Finding the checkpoint to resume from in Flink's layout, {@code <dir>/<job
 * id>/chk-<n>/_metadata}, with files written as Flink writes them and no Flink job.
 */
@RunWith(JUnit4.class)
public class RetainedCheckpointsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Instant T = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  public void theLatestIsTheLastTakenAcrossEveryJobDirectoryNotTheHighestNumber() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    CheckpointFiles.completed(dir.resolve("aaaa/chk-7"), 7, T);
    // A fresh run numbers from 1 again: its chk-2, taken last, is the latest.
    CheckpointFiles.completed(dir.resolve("bbbb/chk-2"), 2, T.plusSeconds(120));
    CheckpointFiles.completed(dir.resolve("cccc/chk-9"), 9, T.plusSeconds(60));

    RetainedCheckpoints.Scan scan = RetainedCheckpoints.scan(dir, null);

    assertThat(scan.completed.size(), equalTo(3));
    RetainedCheckpoints.Snapshot latest = scan.latest().get();
    assertThat(latest.dir, equalTo(dir.resolve("bbbb/chk-2")));
    assertThat(latest.checkpointId, equalTo(2L));
    assertThat(latest.jobId, equalTo("bbbb"));
    assertThat(latest.taken, equalTo(T.plusSeconds(120)));
    assertThat(
        latest.describe(),
        equalTo(
            "checkpoint 2 of job bbbb at "
                + dir.resolve("bbbb/chk-2")
                + " (taken 2026-11-22T10:02:00Z)"));
  }

  @Test
  public void aCheckpointWithoutMetadataIsSkippedWithItsReason() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    CheckpointFiles.completed(dir.resolve("aaaa/chk-5"), 5, T);
    CheckpointFiles.incomplete(dir.resolve("aaaa/chk-6"), T.plusSeconds(2));

    RetainedCheckpoints.Scan scan = RetainedCheckpoints.scan(dir, null);

    assertThat(scan.latest().get().dir, equalTo(dir.resolve("aaaa/chk-5")));
    assertThat(scan.skipped.size(), equalTo(1));
    assertThat(scan.skipped.get(0).dir, equalTo(dir.resolve("aaaa/chk-6")));
    assertThat(scan.skipped.get(0).reason, containsString("no _metadata"));
  }

  @Test
  public void aDamagedMetadataFileIsSkippedEvenWhenNewest() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    CheckpointFiles.completed(dir.resolve("aaaa/chk-5"), 5, T);
    CheckpointFiles.damaged(dir.resolve("bbbb/chk-1"), T.plusSeconds(30));

    RetainedCheckpoints.Scan scan = RetainedCheckpoints.scan(dir, null);

    assertThat(scan.latest().get().dir, equalTo(dir.resolve("aaaa/chk-5")));
    assertThat(scan.skipped.get(0).dir, equalTo(dir.resolve("bbbb/chk-1")));
    assertThat(scan.skipped.get(0).reason, containsString("does not load"));
  }

  @Test
  public void aDirectoryThatDoesNotExistHoldsNothing() throws Exception {
    RetainedCheckpoints.Scan scan =
        RetainedCheckpoints.scan(tmp.getRoot().toPath().resolve("never-written"), null);
    assertThat(scan.latest().isPresent(), is(false));
    assertThat(scan.skipped.isEmpty(), is(true));
  }

  @Test
  public void otherEntriesOfTheDirectoriesAreNotCheckpoints() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    CheckpointFiles.completed(dir.resolve("aaaa/chk-5"), 5, T);
    // Flink's own directories in a job directory, and the launcher's generation history.
    CheckpointFiles.incomplete(dir.resolve("aaaa/shared"), T.plusSeconds(10));
    CheckpointFiles.incomplete(dir.resolve("aaaa/taskowned"), T.plusSeconds(10));
    GenerationHistory.append(dir, new GenerationHistory.Entry(1L, 1L, "kafka:t@g"));

    RetainedCheckpoints.Scan scan = RetainedCheckpoints.scan(dir, null);

    assertThat(scan.completed.size(), equalTo(1));
    assertThat(scan.skipped.isEmpty(), is(true));
  }

  @Test
  public void aNewerSavepointIsTheLatest() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    Path savepoints = tmp.newFolder("savepoints").toPath();
    CheckpointFiles.completed(dir.resolve("aaaa/chk-5"), 5, T);
    CheckpointFiles.completed(
        savepoints.resolve("savepoint-aaaa-0123456789ab"), 6, T.plusSeconds(5));

    RetainedCheckpoints.Snapshot latest = RetainedCheckpoints.scan(dir, savepoints).latest().get();

    assertThat(latest.isSavepoint(), is(true));
    assertThat(latest.checkpointId, equalTo(6L));
    assertThat(latest.describe(), containsString("savepoint 6 at "));
  }

  @Test
  public void readTakesTheDirectoryOrItsMetadataFileAndSaysWhyNot() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    Path chk = CheckpointFiles.completed(dir.resolve("aaaa/chk-3"), 3, T);
    assertThat(RetainedCheckpoints.read(chk).checkpointId, equalTo(3L));
    assertThat(RetainedCheckpoints.read(chk.resolve("_metadata")).dir, equalTo(chk));
    assertThat(RetainedCheckpoints.read(chk).jobId, equalTo("aaaa"));

    Path incomplete = CheckpointFiles.incomplete(dir.resolve("aaaa/chk-4"), T);
    assertThat(failure(incomplete), containsString("no _metadata"));
    assertThat(failure(dir.resolve("aaaa/chk-99")), containsString("does not exist"));
  }

  @Test
  public void theGenerationHistoryNamesTheRunThatTookACheckpoint() throws Exception {
    Path dir = tmp.newFolder("checkpoints").toPath();
    long t = T.toEpochMilli();
    GenerationHistory.append(dir, new GenerationHistory.Entry(t, 100L, "kafka:t@g"));
    GenerationHistory.append(dir, new GenerationHistory.Entry(t + 60_000, 100L, "kafka:t@g"));
    GenerationHistory.append(dir, new GenerationHistory.Entry(t + 120_000, 300L, "kafka:t@g"));
    List<GenerationHistory.Entry> h = GenerationHistory.read(dir);

    assertThat(h.size(), equalTo(3));
    assertThat(GenerationHistory.ownerOf(h, T.minusSeconds(1)).isPresent(), is(false));
    assertThat(GenerationHistory.ownerOf(h, T.plusSeconds(90)).get().generation, equalTo(100L));
    assertThat(GenerationHistory.ownerOf(h, T.plusSeconds(120)).get().generation, equalTo(300L));
  }

  private static String failure(Path p) {
    try {
      RetainedCheckpoints.read(p);
    } catch (IOException e) {
      return e.getMessage();
    }
    Assert.fail("read(" + p + ") should fail");
    return "";
  }
}
