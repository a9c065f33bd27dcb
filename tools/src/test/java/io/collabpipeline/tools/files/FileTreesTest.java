package io.collabpipeline.tools.files;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * A tree goes whole, deepest first; a failure is thrown, or told on stderr when asked to be quiet.
 */
public class FileTreesTest {
  @Test
  public void aTreeIsRemovedWholeAndAMissingOneIsNoError() throws Exception {
    Path dir = Files.createTempDirectory("filetrees-test");
    Files.createDirectories(dir.resolve("a/b/c"));
    Files.writeString(dir.resolve("a/b/c/file.parquet"), "x");
    Files.writeString(dir.resolve("a/top.txt"), "y");
    Files.createDirectories(dir.resolve("empty"));
    FileTrees.delete(dir);
    assertFalse(Files.exists(dir));
    FileTrees.delete(dir);
    assertTrue(FileTrees.deleteQuietly(dir, "unused"));
  }

  @Test
  public void aPathThatIsNotADirectoryIsDeletedToo() throws Exception {
    Path file = Files.createTempFile("filetrees-test", ".txt");
    assertTrue(FileTrees.deleteQuietly(file, "unused"));
    assertFalse(Files.exists(file));
  }

  /**
   * A directory whose entries cannot be listed (a file system's own directory, unreadable to
   * anyone): delete throws, deleteQuietly returns false and names the path with the caller's words.
   * /proc/1/fd is such a directory even for root (its entries are links into another process, which
   * cannot be deleted).
   */
  @Test
  public void aTreeThatCannotBeDeletedIsReportedNotThrownWhenQuiet() throws Exception {
    Path undeletable = Path.of("/proc/self/fd");
    assertTrue("needs Linux's /proc", Files.isDirectory(undeletable));
    try {
      FileTrees.delete(undeletable);
      throw new AssertionError("deleting " + undeletable + " did not fail");
    } catch (IOException expected) {
      // the first path that could not be deleted
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream before = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    boolean gone;
    try {
      gone = FileTrees.deleteQuietly(undeletable, "tool: could not delete " + undeletable);
    } finally {
      System.setErr(before);
    }
    assertFalse(gone);
    String line = err.toString(StandardCharsets.UTF_8);
    assertTrue(line, line.startsWith("tool: could not delete /proc/self/fd: "));
    assertEquals("one line: " + line, 1, line.strip().lines().count());
  }
}
