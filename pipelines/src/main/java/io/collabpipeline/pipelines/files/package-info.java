/**
 * Newline-delimited JSON files (plain or gzip) as a source of raw records, byte for byte, each
 * received at its file's modification time ({@link io.collabpipeline.pipelines.files.NdjsonFiles}).
 */
package io.collabpipeline.pipelines.files;
