package io.collabpipeline.pipelines.generator;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An event as bytes, with what the ground truth of its {@link Delivery} needs to know about it.
 *
 * @param bytes the record as sent (not copied: whoever builds a {@link GeneratedEvent} hands its
 *     array over)
 * @param eventId the event id the bytes carry; null when they carry none
 * @param eventType the event type the bytes carry (possibly unregistered); null when they carry
 *     none
 * @param occurredAtMillis when the event occurred, epoch millis
 */
record GeneratedEvent(
    byte[] bytes, @Nullable String eventId, @Nullable String eventType, long occurredAtMillis) {}
