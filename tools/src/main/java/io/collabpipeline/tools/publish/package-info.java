/**
 * The Kafka publisher ({@code bin/collab-publish}): the generator's workload, duplicates, late,
 * too-late and malformed records included, sent to a Kafka topic at a wall-clock rate, for the dev
 * stack and the end-to-end test.
 */
package io.collabpipeline.tools.publish;
