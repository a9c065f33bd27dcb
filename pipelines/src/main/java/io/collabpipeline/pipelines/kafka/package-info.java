/**
 * Kafka as a source of raw records: the typed source configuration ({@link
 * io.collabpipeline.pipelines.kafka.KafkaSourceConfig}), the KafkaIO-based transform on the arrival
 * clock ({@link io.collabpipeline.pipelines.kafka.KafkaRecords}) and its per-partition watermark
 * policy.
 */
package io.collabpipeline.pipelines.kafka;
