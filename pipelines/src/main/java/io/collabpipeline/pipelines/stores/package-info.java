/**
 * The pipeline's two file stores, one IO class each, with a read/write pair in the style of Beam's
 * {@code TextIO}:
 *
 * <ul>
 *   <li>{@link io.collabpipeline.pipelines.stores.RawStoreIO}: the raw store, every accepted event
 *       as Parquet partitioned by event date and hour ({@code write}, {@code read} for replays,
 *       {@code writeRevalidated} for quarantine replays); {@link
 *       io.collabpipeline.pipelines.stores.RawStoreSchema} is its column mapping.
 *   <li>{@link io.collabpipeline.pipelines.stores.QuarantineIO}: the quarantine, every rejected
 *       record as JSON lines with its original bytes, partitioned by arrival date and hour ({@code
 *       write}, {@code read} for quarantine replays, {@code readRecords} outside a pipeline).
 * </ul>
 *
 * <p>Both stores live under a local directory or any Beam file system prefix ({@code s3://}), are
 * append-only (every file name carries its writer's generation, so no other job, restart or replay
 * replaces or deletes a file; within one writer the names are deterministic, so a Flink restore
 * rewrites the same names) and are read back, every writer's files, through Beam's {@code
 * FileSystems}. The Hive-style partition layout and file naming they share, and the quarantine's
 * line format, are package-private helpers. The step names inside these transforms are part of the
 * job's step names, on which Flink savepoints depend ({@code StepNamesTest}).
 */
package io.collabpipeline.pipelines.stores;
