/**
 * Replays as jobs of the launcher: the raw-store replay of a date range ({@link
 * io.collabpipeline.pipelines.replay.RawReplayJob}), the quarantine re-validation ({@link
 * io.collabpipeline.pipelines.replay.QuarantineReplayJob}), and the diff reports of dry runs.
 */
package io.collabpipeline.pipelines.replay;
