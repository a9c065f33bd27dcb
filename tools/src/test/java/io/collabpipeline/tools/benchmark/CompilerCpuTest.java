package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.function.LongUnaryOperator;
import org.junit.Test;

/**
 * The benchmark's "of them compiling": the CPU time of the JVM's compiler threads, read from
 * Linux's per-thread statistics, rises while the JVM compiles and is part of the process's CPU
 * time.
 */
public class CompilerCpuTest {
  @Test
  public void theCompilersTimeRisesWhileNewCodeGetsHotAndIsPartOfTheProcesssCpu() {
    assumeTrue("Linux's /proc", Files.isDirectory(Paths.get("/proc/self/task")));
    double processBefore = CollabBenchmark.processCpuSeconds();
    double before = CollabBenchmark.compilerCpuSeconds();
    // Code this JVM has not run yet, called until the JIT has compiled something: a name that did
    // not match the compiler threads (Linux keeps 15 characters of a thread's name) or a misread
    // file would leave the figure where it was.
    long deadline = System.nanoTime() + 30_000_000_000L;
    long sink = 0;
    double after = before;
    for (int round = 0; after <= before && System.nanoTime() < deadline; round++) {
      LongUnaryOperator step = x -> (x * 0x9E3779B97F4A7C15L) ^ (x >>> 29);
      for (int i = 0; i < 200_000; i++) {
        sink = step.applyAsLong(sink + i + round);
      }
      after = CollabBenchmark.compilerCpuSeconds();
    }
    double process = CollabBenchmark.processCpuSeconds() - processBefore;
    assertTrue(
        "compiler threads' CPU rose from " + before + " s (sink " + sink + ")", after > before);
    // The process's clock counts in ticks of at most 10 ms; the threads' in nanoseconds.
    assertTrue(
        "compiling " + (after - before) + " s is within the process's " + process + " s",
        after - before <= process + 0.02);
  }
}
