/**
 * The PII scanner ({@link io.collabpipeline.tools.privacy.PiiScanner}): searches the outputs of a
 * run (files of every kind the job writes, and Kafka topics) for planted personal values and for
 * anything shaped like an email, an IPv4 address or a browser user agent, and reports where,
 * masked.
 */
package io.collabpipeline.tools.privacy;
