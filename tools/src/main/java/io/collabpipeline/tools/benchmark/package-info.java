/**
 * The benchmark command ({@code bin/collab-benchmark}): the whole graph on generated events on
 * embedded Flink, in batch, streaming and replay mode, against a plain Jackson parse of the same
 * events. Not a test: its numbers depend on the machine.
 */
package io.collabpipeline.tools.benchmark;
