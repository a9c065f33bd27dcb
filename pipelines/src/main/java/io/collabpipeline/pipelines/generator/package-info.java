/**
 * The synthetic workload: a seeded generator of realistic deliveries (duplicates, late, too-late
 * and malformed records included) and the Beam sources that feed it to the graph, bounded or at a
 * wall-clock rate.
 */
package io.collabpipeline.pipelines.generator;
