/**
 * The command line's options, one small interface per concern, composed by {@link
 * io.collabpipeline.pipelines.options.CollabPipelineOptions}. Only the launch edge reads them: they
 * become typed configuration once, there.
 */
package io.collabpipeline.pipelines.options;
