/**
 * PII minimization: per-field privacy classes applied to payloads, keyed-hash pseudonyms of user
 * ids, and the reference (never the value) of the pseudonym key.
 */
package io.collabpipeline.transforms.pii;
