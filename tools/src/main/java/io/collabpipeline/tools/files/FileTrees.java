package io.collabpipeline.tools.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing a directory a tool created, with everything under it. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code dir} and everything under it, the deepest paths first; a directory that does not
   * exist is nothing to do.
   *
   * @throws IOException the first path that could not be read or deleted (what was deleted before
   *     it stays deleted)
   */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * {@link #delete}, for clean-ups that must not fail the work they follow (a shutdown hook, a
   * {@code finally}): a failure is one line on stderr, {@code failure} then the cause, and false.
   *
   * @param failure what the line says first, e.g. {@code "collab-benchmark: could not delete
   *     /tmp/x"}
   * @return whether {@code dir} is gone
   */
  public static boolean deleteQuietly(Path dir, String failure) {
    try {
      delete(dir);
      return true;
    } catch (IOException | RuntimeException e) {
      System.err.println(failure + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return false;
    }
  }
}
