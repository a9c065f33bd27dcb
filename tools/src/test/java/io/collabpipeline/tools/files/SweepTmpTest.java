package io.collabpipeline.tools.files;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * {@code bin/_sweep_tmp.sh} removes the DuckDB library and Pekko jar copies that killed JVMs left,
 * and nothing a live process uses, nothing just copied and nothing else. Run on real files held by
 * real processes (Linux's {@code /proc}).
 */
public class SweepTmpTest {
  private Path dir;
  private Process holder;

  @Before
  public void setUp() throws IOException {
    assumeTrue("needs Linux's /proc", Files.isDirectory(Path.of("/proc/self/fd")));
    dir = Files.createTempDirectory("sweep-tmp-test");
  }

  @After
  public void tearDown() throws Exception {
    if (holder != null) {
      holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (dir != null) {
      FileTrees.delete(dir);
    }
  }

  @Test
  public void removesOnlyTheCopiesNoLiveProcessUsesAndNotJustMade() throws Exception {
    Path leftLibrary = copy("libduckdb_java4242.so", true);
    Path leftJar = copy("flink-rpc-akka0c1b2a3d-0000-4e5f-8a9b-123456789abc.jar", true);
    Path openJar = copy("flink-rpc-akka11111111-2222-4333-8444-555555555555.jar", true);
    Path mappedLibrary = copy("libduckdb_java7777.so", true);
    Path justCopied = copy("libduckdb_java9999.so", false);
    Path unrelated = copy("libother4242.so", true);
    // A class loader's open jar: held by another process, as a running JVM holds its Pekko jar.
    holder =
        new ProcessBuilder(
                "bash",
                "-c",
                "exec 3<\"$1\"; echo ready; exec sleep 60",
                "holder",
                openJar.toString())
            .redirectErrorStream(true)
            .start();
    assertEquals(
        "ready", new String(holder.getInputStream().readNBytes(5), StandardCharsets.UTF_8));
    // A loaded library: mapped by a live process (this one) after its file is closed.
    MappedByteBuffer mapped;
    try (RandomAccessFile f = new RandomAccessFile(mappedLibrary.toFile(), "r");
        FileChannel channel = f.getChannel()) {
      mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
    }

    Result first = sweep();

    assertEquals(first.stderr, 0, first.exit);
    assertFalse(Files.exists(leftLibrary));
    assertFalse(Files.exists(leftJar));
    assertTrue("open by a live process", Files.exists(openJar));
    assertTrue("mapped by a live process", Files.exists(mappedLibrary));
    assertTrue("copied less than a minute ago", Files.exists(justCopied));
    assertTrue("not a copy of either kind", Files.exists(unrelated));
    assertEquals(
        List.of(
            "_sweep_tmp.sh: removed " + leftJar + ", left by a JVM that did not exit normally",
            "_sweep_tmp.sh: removed " + leftLibrary + ", left by a JVM that did not exit normally"),
        first.stderr.lines().sorted().toList());
    assertEquals(mappedLibrary.toFile().length(), mapped.capacity());

    // The process that held the jar is gone: the next sweep takes its copy, and only it.
    holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    Result second = sweep();
    assertEquals(second.stderr, 0, second.exit);
    assertFalse(Files.exists(openJar));
    assertTrue(Files.exists(mappedLibrary));
    assertTrue(Files.exists(justCopied));
    assertTrue(Files.exists(unrelated));
    assertEquals(1, second.stderr.lines().count());
  }

  @Test
  public void aDirectoryThatIsMissingIsNoError() throws Exception {
    FileTrees.delete(dir);
    Result r = sweep();
    assertEquals(0, r.exit);
    assertEquals("", r.stderr);
  }

  /** A file named {@code name}, last written five minutes ago if {@code old}, else now. */
  private Path copy(String name, boolean old) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, new byte[4096]);
    if (old) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(300)));
    }
    return p;
  }

  private Result sweep() throws Exception {
    Process p =
        new ProcessBuilder(
                "bash", repositoryRoot().resolve("bin/_sweep_tmp.sh").toString(), dir.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue("the sweep ended", p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), err);
  }

  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("bin/_sweep_tmp.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "bin/_sweep_tmp.sh not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  private record Result(int exit, String stderr) {}
}
