/**
 * Canary events: what makes an event a canary of the freshness probe ({@link
 * io.collabpipeline.pipelines.canary.Canaries}), and the step that splits canaries off the metrics
 * branch of the one graph ({@link io.collabpipeline.pipelines.canary.SplitCanaries}).
 */
package io.collabpipeline.pipelines.canary;
