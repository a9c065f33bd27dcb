/**
 * Deduplication by event id on the arrival clock: of all copies of an id the earliest arrival is
 * kept, exactly in bounded mode and within a horizon in streaming ({@link
 * io.collabpipeline.transforms.dedup.DedupByEventId}).
 */
package io.collabpipeline.transforms.dedup;
