package io.collabpipeline.pipelines.generator;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a range of the synthetic workload as a newline-delimited JSON file, the input of the files
 * source: one delivery per line, in index order, gzip-compressed when the file name ends in {@code
 * .gz}. The file's last-modified time is set to the arrival time of its last delivery, so the files
 * source (which receives every line at its file's modification time) accounts the whole file to the
 * hour in which it was complete.
 */
public final class DeliveryFiles {

  private DeliveryFiles() {}

  /**
   * Writes deliveries {@code [from, to)} of {@code generator} to {@code file}, replacing it.
   *
   * @return the arrival time given to the file, in epoch millis
   */
  public static long write(WorkloadGenerator generator, long from, long to, Path file)
      throws IOException {
    if (from < 0 || to <= from) {
      throw new IllegalArgumentException(
          "write needs 0 <= from < to, got [" + from + ", " + to + ")");
    }
    long lastArrival = 0;
    try (OutputStream raw = Files.newOutputStream(file);
        OutputStream out =
            new BufferedOutputStream(
                file.getFileName().toString().endsWith(".gz")
                    ? new GZIPOutputStream(raw, 64 * 1024)
                    : raw,
                64 * 1024)) {
      for (long i = from; i < to; i++) {
        Delivery delivery = generator.delivery(i);
        out.write(delivery.bytes());
        out.write('\n');
        lastArrival = delivery.arrivalMillis();
      }
    }
    Files.setLastModifiedTime(file, FileTime.fromMillis(lastArrival));
    return lastArrival;
  }
}
