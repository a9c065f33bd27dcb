/**
 * Validation of raw records: strict JSON (RFC 8259, UTF-8, no duplicate keys, bounded size and
 * depth), the envelope and the payload schema of (event_type, schema_version), and PII
 * minimization; every failure goes to the quarantine with a stable reason code ({@link
 * io.collabpipeline.transforms.validate.ValidateEvents}).
 */
package io.collabpipeline.transforms.validate;
