/**
 * The local dev stack: {@link io.collabpipeline.tools.devstack.LocalKafka} (a KRaft broker from
 * Kafka's own test kit, in this JVM) and {@link io.collabpipeline.tools.devstack.LocalS3} (S3Mock's
 * standalone jar, in a JVM of its own). {@code bin/collab-devstack} runs their {@code main}
 * methods; the integration tests start them in-process.
 */
package io.collabpipeline.tools.devstack;
