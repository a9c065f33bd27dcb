package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import java.util.function.LongUnaryOperator;
import org.junit.Test;

/**
 * The benchmark's "of them compiling": the CPU time of the JVM's compiler threads, read from
 * Linux's per-thread statistics, rises while the JVM compiles, is part of the process's CPU time,
 * and is never negative when a compiler thread ends during a run.
 */
public class CompilerCpuTest {
  @Test
  public void theCompilersTimeRisesWhileNewCodeGetsHotAndIsPartOfTheProcesssCpu() {
    assumeTrue("Linux's /proc", Files.isDirectory(Paths.get("/proc/self/task")));
    double processBefore = CollabBenchmark.processCpuSeconds();
    Map<Long, Long> before = CollabBenchmark.compilerThreadNanos();
    // Code this JVM has not run yet, called until the JIT has compiled something: a name that did
    // not match the compiler threads (Linux keeps 15 characters of a thread's name) or a misread
    // file would leave the figure where it was.
    long deadline = System.nanoTime() + 30_000_000_000L;
    long sink = 0;
    double compiling = 0;
    for (int round = 0; compiling <= 0 && System.nanoTime() < deadline; round++) {
      LongUnaryOperator step = x -> (x * 0x9E3779B97F4A7C15L) ^ (x >>> 29);
      for (int i = 0; i < 200_000; i++) {
        sink = step.applyAsLong(sink + i + round);
      }
      compiling = CollabBenchmark.compilingSeconds(before, CollabBenchmark.compilerThreadNanos());
    }
    double process = CollabBenchmark.processCpuSeconds() - processBefore;
    assertTrue(
        "compiler threads' CPU rose from " + before + " ns (sink " + sink + ")", compiling > 0);
    // The process's clock counts in ticks of at most 10 ms; the threads' in nanoseconds.
    assertTrue(
        "compiling " + compiling + " s is within the process's " + process + " s",
        compiling <= process + 0.02);
  }

  @Test
  public void aCompilerThreadThatEndsDuringARunDoesNotMakeItsCompilingTimeNegative() {
    // Thread 11 (C2) compiled 0.5 s during the run; thread 12 (a second C1 thread) had compiled
    // 3 s before the run and ended during it; thread 13 started during the run and compiled
    // 0.25 s. The sums at each reading (1 + 3 and 1.5 + 0.25) would give -2.25 s.
    Map<Long, Long> before = Map.of(11L, 1_000_000_000L, 12L, 3_000_000_000L);
    Map<Long, Long> after = Map.of(11L, 1_500_000_000L, 13L, 250_000_000L);
    assertEquals(0.75, CollabBenchmark.compilingSeconds(before, after), 1e-9);
    assertEquals(0.0, CollabBenchmark.compilingSeconds(after, after), 0.0);
    assertTrue(Double.isNaN(CollabBenchmark.compilingSeconds(null, after)));
  }
}
