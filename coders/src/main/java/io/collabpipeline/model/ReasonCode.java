package io.collabpipeline.model;

/**
 * Why a record was quarantined. The codes are a stable contract: dashboards, alerts and quarantine
 * replays key on them, so a code is never renamed or reused; new reasons get new codes, appended at
 * the end. The quarantine and its coder carry a code by its name ({@link #code()}), never by its
 * ordinal.
 */
public enum ReasonCode {
  /** The record is empty or only whitespace. */
  EMPTY_RECORD,
  /** The record is larger than the 1 MiB limit of contract 1. */
  TOO_LARGE,
  /**
   * The bytes are not valid UTF-8, or a JSON string escapes a lone UTF-16 surrogate (a backslash-u
   * escape of U+D800 to U+DFFF that is not a high surrogate followed by a low one): such a string
   * is not Unicode text and has no UTF-8 form, so it could only be kept by replacing it (RFC 8259
   * section 8.2; I-JSON, RFC 7493, forbids it). The client should send UTF-8 and never split a
   * surrogate pair, e.g. when truncating a string.
   */
  NOT_UTF8,
  /**
   * The bytes are not a JSON text (RFC 8259), including non-standard tokens such as NaN or
   * comments.
   */
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
  PAYLOAD_INVALID,
  /**
   * {@code occurred_at} is further after the record's arrival than the validation allows (default 1
   * day): a client clock that is wrong, or a placeholder date such as year 9999. Such an event
   * would open metric windows that never close. Judged against the record's own arrival time, never
   * the wall clock, so a replay gives the same answer. Fix the client's clock or the value it
   * sends; if the events are genuine, raise the bound ({@code --maxEventTimeAhead}) and re-validate
   * the quarantine.
   */
  OCCURRED_IN_FUTURE,
  /**
   * {@code occurred_at} is further before the record's arrival than the validation allows (default
   * 180 days, the raw store's retention): a client clock or a placeholder date such as year 1, or a
   * backfill of events older than the raw store keeps. Judged against the record's own arrival
   * time, never the wall clock. Fix the value the client sends; for a deliberate backfill of old
   * events, raise the bound ({@code --maxEventAge}) and re-validate the quarantine.
   */
  OCCURRED_TOO_LONG_AGO;

  /** The stable code as written to the quarantine. */
  public String code() {
    return name();
  }
}
