package io.collabpipeline.pipelines.warehouse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a dry run's diff report goes: {@code <dir>/diff-<generation>.txt} (what was printed) and
 * {@code <dir>/diff-<generation>.json}. The text and JSON come from {@link DiffReport}.
 */
public final class DiffReports {
  private DiffReports() {}

  /** The two files of a saved report. */
  public static final class Saved {
    public final Path text;
    public final Path json;

    Saved(Path text, Path json) {
      this.text = text;
      this.json = json;
    }
  }

  /** The report as printed. */
  public static String text(WarehouseDiff diff) {
    return DiffReport.text(diff);
  }

  /** Writes the text and JSON report of {@code diff} under {@code dir} (created if needed). */
  public static Saved save(WarehouseDiff diff, Path dir) throws IOException {
    Files.createDirectories(dir);
    String base = String.format(Locale.ROOT, "diff-%d", diff.generation());
    Path text = dir.resolve(base + ".txt");
    Path json = dir.resolve(base + ".json");
    Files.write(text, text(diff).getBytes(StandardCharsets.UTF_8));
    Files.write(json, DiffReport.json(diff).getBytes(StandardCharsets.UTF_8));
    return new Saved(text, json);
  }
}
