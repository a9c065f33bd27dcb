package io.collabpipeline.pipelines.generator;

import io.collabpipeline.model.EventType;
import io.collabpipeline.model.ReasonCode;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What is decided about an event before its resource and payload are written.
 *
 * @param index the delivery index the event belongs to
 * @param type the event type written (a notification without a trigger is already {@code
 *     task.updated} here)
 * @param version the payload schema version written (before any UNKNOWN_SCHEMA_VERSION corruption)
 * @param workspace the workspace, an index into the {@link Population}
 * @param actor the acting user, an index within the workspace
 * @param trigger for a notification, the delivery index of its trigger event; otherwise -1
 * @param occurredMillis when the event occurred, epoch millis
 * @param corruption the corruption written into the event, or null for a valid one
 */
record EventDraft(
    long index,
    EventType type,
    int version,
    int workspace,
    int actor,
    long trigger,
    long occurredMillis,
    @Nullable ReasonCode corruption) {}
