package io.collabpipeline.tools.erasure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The quarantine's part of an erasure. The quarantine keeps the original bytes, so user ids in the
 * clear: a record belongs to an erased user if any JSON string or number token of its original
 * bytes (or, where they are not JSON, any run of digits, the form of a user gid) hashes under the
 * global key to the key index of an erased user. Files holding such records are rewritten without
 * them (a new file renamed over the old one: atomic on a local file system, copy-and-delete on S3);
 * files whose arrival hour ({@code dt=/hr=} of their path) ended more than the retention ago are
 * deleted whole. Reads and writes through Beam's {@code FileSystems}, so {@code s3://} works once
 * registered.
 */
final class QuarantinePurge {
  private static final Pattern PARTITION =
      Pattern.compile("dt=(\\d{4}-\\d{2}-\\d{2})/hr=(\\d{2})/");
  private static final Pattern DIGITS = Pattern.compile("\\d{1,20}");
  private static final JsonFactory JSON = new JsonFactory();

  /** What a purge removed. */
  static final class Result {
    long recordsPurged;
    long filesRewritten;
    long filesExpired;
    long recordsExpired;
  }

  private final Pseudonymizer global;
  private final Set<String> erasedIndexes;
  private final boolean dryRun;

  QuarantinePurge(Pseudonymizer global, Set<String> erasedIndexes, boolean dryRun) {
    this.global = global;
    this.erasedIndexes = erasedIndexes;
    this.dryRun = dryRun;
  }

  Result run(String prefix, Instant now, Duration retention) throws IOException {
    Result result = new Result();
    MatchResult m = FileSystems.match(QuarantineIO.filesGlob(prefix), EmptyMatchTreatment.ALLOW);
    if (m.status() != MatchResult.Status.OK) {
      return result;
    }
    List<ResourceId> files = new ArrayList<>();
    for (MatchResult.Metadata f : m.metadata()) {
      files.add(f.resourceId());
    }
    files.sort((a, b) -> a.toString().compareTo(b.toString()));
    Instant expiredBefore = now.minus(retention);
    for (ResourceId file : files) {
      List<String> lines = readLines(file);
      Instant hourEnd = arrivalHourEnd(file.toString());
      if (hourEnd != null && !hourEnd.isAfter(expiredBefore)) {
        result.filesExpired++;
        result.recordsExpired += lines.size();
        if (!dryRun) {
          FileSystems.delete(List.of(file));
        }
        continue;
      }
      List<String> kept = new ArrayList<>();
      for (String line : lines) {
        if (belongsToErased(QuarantineIO.parseLine(line))) {
          result.recordsPurged++;
        } else {
          kept.add(line);
        }
      }
      if (kept.size() == lines.size()) {
        continue;
      }
      result.filesRewritten++;
      if (dryRun) {
        continue;
      }
      if (kept.isEmpty()) {
        FileSystems.delete(List.of(file));
      } else {
        replace(file, kept);
      }
    }
    return result;
  }

  private boolean belongsToErased(QuarantineRecord r) {
    if (erasedIndexes.isEmpty()) {
      return false;
    }
    for (String token : tokens(r.original().payload())) {
      if (erasedIndexes.contains(global.index(token))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The JSON string and number tokens of {@code bytes} as far as they parse, and every run of
   * digits of their text (a record quarantined because it is not JSON still carries its ids).
   */
  static Set<String> tokens(byte[] bytes) {
    Set<String> out = new HashSet<>();
    try (JsonParser p = JSON.createParser(bytes)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.VALUE_STRING
            || t == JsonToken.VALUE_NUMBER_INT
            || t == JsonToken.VALUE_NUMBER_FLOAT) {
          out.add(p.getText());
        }
      }
    } catch (IOException e) {
      // Not (all) JSON: the digit runs below still find the ids.
    }
    Matcher d = DIGITS.matcher(new String(bytes, StandardCharsets.UTF_8));
    while (d.find()) {
      out.add(d.group());
    }
    return out;
  }

  /** The end of the arrival hour of a quarantine file, from its path; null if it has none. */
  static Instant arrivalHourEnd(String path) {
    Matcher p = PARTITION.matcher(path);
    if (!p.find()) {
      return null;
    }
    return LocalDate.parse(p.group(1))
        .atStartOfDay(ZoneOffset.UTC)
        .toInstant()
        .plus(Duration.ofHours(Integer.parseInt(p.group(2)) + 1));
  }

  private static List<String> readLines(ResourceId file) throws IOException {
    List<String> lines = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(
                Channels.newInputStream(FileSystems.open(file)), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.isEmpty()) {
          lines.add(line);
        }
      }
    }
    return lines;
  }

  /**
   * Writes {@code lines} to a temporary name beside {@code file} (a dot name the quarantine's glob
   * does not match) and renames it over {@code file}.
   */
  private static void replace(ResourceId file, List<String> lines) throws IOException {
    ResourceId tmp =
        file.getCurrentDirectory()
            .resolve(
                ".erasure-" + UUID.randomUUID() + ".tmp",
                ResolveOptions.StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(tmp, "text/plain"))) {
      for (String line : lines) {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
      }
    }
    FileSystems.rename(List.of(tmp), List.of(file));
  }
}
