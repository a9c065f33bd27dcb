/**
 * The move from the arrival clock to the event clock ({@link
 * io.collabpipeline.transforms.time.AssignEventTime}): the one step of the graph that emits behind
 * its input timestamps.
 */
package io.collabpipeline.transforms.time;
