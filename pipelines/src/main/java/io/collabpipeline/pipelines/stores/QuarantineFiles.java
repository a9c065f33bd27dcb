package io.collabpipeline.pipelines.stores;

import io.collabpipeline.model.QuarantineRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * Reads a quarantine store written by {@link QuarantineStore} back into records, in plain Java (no pipeline): for
 * tests, the run summary and quarantine replays. It reads through Beam's {@link FileSystems}, so a non-local prefix
 * works once {@link FileSystems#setDefaultPipelineOptions} has registered its file system.
 */
public final class QuarantineFiles {
  private QuarantineFiles() {}

  /** The glob of the finalized quarantine files under {@code prefix} (Beam's temporary files do not match it). */
  public static String glob(String prefix) {
    return PartitionedFiles.asDirectory(prefix) + "dt=*/hr=*/" + QuarantineStore.FILE_PREFIX + "-*"
        + QuarantineStore.FILE_SUFFIX;
  }

  /** All records under {@code prefix}, file by file in name order, each file in line order; empty if none. */
  public static List<QuarantineRecord> read(String prefix) throws IOException {
    MatchResult match = FileSystems.match(glob(prefix), EmptyMatchTreatment.ALLOW);
    if (match.status() != MatchResult.Status.OK && match.status() != MatchResult.Status.NOT_FOUND) {
      throw new IOException("cannot list the quarantine under " + prefix + ": " + match.status());
    }
    List<MatchResult.Metadata> files =
        match.status() == MatchResult.Status.OK ? new ArrayList<>(match.metadata()) : new ArrayList<>();
    files.sort(Comparator.comparing(m -> m.resourceId().toString()));
    List<QuarantineRecord> records = new ArrayList<>();
    for (MatchResult.Metadata file : files) {
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(
                  Channels.newInputStream(FileSystems.open(file.resourceId())), StandardCharsets.UTF_8))) {
        String line;
        int lineNumber = 0;
        while ((line = in.readLine()) != null) {
          lineNumber++;
          if (line.isEmpty()) {
            continue;
          }
          try {
            records.add(QuarantineJson.fromJsonLine(line));
          } catch (IllegalArgumentException e) {
            throw new IOException(file.resourceId() + " line " + lineNumber + ": " + e.getMessage(), e);
          }
        }
      }
    }
    return records;
  }
}
