/**
 * The edge of the main job: the command line ({@link
 * io.collabpipeline.pipelines.launch.CommandLine}), options turned into typed configuration once
 * ({@link io.collabpipeline.pipelines.launch.JobConfig}), and the one launcher that creates and
 * runs every Beam pipeline, records its generation and reports on it ({@link
 * io.collabpipeline.pipelines.launch.JobLauncher}), with the jobs it runs (the live job, the raw
 * replay, the quarantine replay), resume from a retained checkpoint, and the run summary. Nothing
 * below this package reads pipeline options.
 */
package io.collabpipeline.pipelines.launch;
