/**
 * S3 for the raw store and the quarantine through Beam's AWS file system: checks of the S3 options,
 * path-style addressing and credentials by reference only.
 */
package io.collabpipeline.pipelines.s3;
