/**
 * The local dev stack: {@link io.collabpipeline.tools.devstack.KafkaBroker} (the dev stack's
 * durable broker: Kafka's own server, {@code kafka.Kafka}, in a process of its own with its log
 * under {@code .collab-dev/kafka/}), {@link io.collabpipeline.tools.devstack.LocalKafka} (a KRaft
 * broker from Kafka's own test kit, in this JVM, with a temporary log: for the tests) and {@link
 * io.collabpipeline.tools.devstack.LocalS3} (S3Mock's standalone jar, in a JVM of its own). {@code
 * bin/collab-devstack} runs the {@code main} methods of {@code KafkaBroker} and {@code LocalS3};
 * the integration tests start {@code LocalKafka} and {@code LocalS3} in-process.
 */
package io.collabpipeline.tools.devstack;
