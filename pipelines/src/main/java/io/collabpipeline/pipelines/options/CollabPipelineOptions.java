package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.StreamingOptions;

/** All options of the main job: one small interface per concern, composed here (contract 3). */
public interface CollabPipelineOptions
    extends SourceOptions,
        GeneratorOptions,
        StoreOptions,
        ProcessingOptions,
        ReplayOptions,
        ResumeOptions,
        KafkaOptions,
        S3Options,
        SnowflakeOptions,
        StreamingOptions {}
