/**
 * The cost command ({@code bin/collab-cost}): the monthly cost of running collab-pipeline at the
 * mission's scale, sized from the benchmark's measured events/s per core ({@link
 * io.collabpipeline.tools.benchmark.BenchmarkResults}) and a dated table of public list prices
 * ({@code prices-2026-12.properties}). See docs/COST.md.
 */
package io.collabpipeline.tools.cost;
