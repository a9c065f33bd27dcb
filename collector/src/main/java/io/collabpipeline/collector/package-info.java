/**
 * The ingestion edge: {@link io.collabpipeline.collector.CollectorServer}, the HTTP collector for
 * web and mobile clients, and {@link io.collabpipeline.collector.EdgeProducer}, the producer
 * library for backend services that the collector itself uses. Every event is validated and
 * minimized by the pipeline's own {@code EventValidator} before it reaches Kafka, and a client is
 * answered only after Kafka acknowledged its records.
 */
package io.collabpipeline.collector;
