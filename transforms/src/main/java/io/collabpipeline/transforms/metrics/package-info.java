/**
 * The windowed metrics of the curated tables (active editors, task update velocity, notification
 * fan-out) on event time, and {@code pipeline_completeness} on arrival time, with the one windowing
 * policy (early, on-time and late firings; lateness decided by the data) both use.
 */
package io.collabpipeline.transforms.metrics;
