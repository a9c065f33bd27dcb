/**
 * The one graph ({@link io.collabpipeline.pipelines.CollabGraph}) with its typed settings ({@link
 * io.collabpipeline.pipelines.GraphConfig}) and the main job's entry point ({@link
 * io.collabpipeline.pipelines.CollabPipeline}), which hands the command line to the launcher.
 */
package io.collabpipeline.pipelines;
