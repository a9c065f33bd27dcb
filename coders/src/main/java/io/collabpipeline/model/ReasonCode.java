package io.collabpipeline.model;

/**
 * Why a record was quarantined. The codes are a stable contract: dashboards, alerts and quarantine replays key on
 * them, so a code is never renamed or reused; new reasons get new codes.
 */
public enum ReasonCode {
  /** The record is empty or only whitespace. */
  EMPTY_RECORD,
  /** The record is larger than the 1 MiB limit of contract 1. */
  TOO_LARGE,
  /** The bytes are not valid UTF-8. */
  NOT_UTF8,
  /** The bytes are not a JSON text (RFC 8259), including non-standard tokens such as NaN or comments. */
  NOT_JSON,
  /** The JSON text is valid but its top-level value is not an object. */
  NOT_AN_OBJECT,
  /** An object in the record has the same key twice. */
  DUPLICATE_KEY,
  /** The record nests objects or arrays deeper than the limit. */
  TOO_DEEP,
  /** There is more after the first JSON value (two objects on one line, say). */
  TRAILING_DATA,
  /** A required envelope field is missing or has the wrong type or form (contract 1). */
  ENVELOPE_INVALID,
  /** {@code occurred_at} is not an RFC 3339 timestamp with an offset. */
  INVALID_TIMESTAMP,
  /** {@code event_type} is not a registered event type. */
  UNKNOWN_EVENT_TYPE,
  /** The event type is registered but not at this {@code schema_version}. */
  UNKNOWN_SCHEMA_VERSION,
  /** The payload does not satisfy the schema of its (event_type, schema_version). */
  PAYLOAD_INVALID;

  /** The stable code as written to the quarantine. */
  public String code() {
    return name();
  }
}
