package io.collabpipeline.pipelines.s3;

import io.collabpipeline.pipelines.options.S3Options;
import org.apache.beam.sdk.io.aws2.common.ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Beam's S3 client factory ({@code --s3ClientFactoryClass}) for collab-pipeline: configures the
 * client exactly as Beam's default factory does (region, endpoint, credentials provider, HTTP and
 * proxy settings from the AWS options) and then applies the two options Beam lacks, read from
 * {@link S3Options} on the worker:
 *
 * <ul>
 *   <li>{@code --s3PathStyle=true}: {@code forcePathStyle(true)}, so a bucket is addressed as
 *       {@code http://endpoint/bucket/key}. Without it the SDK addresses {@code
 *       http://bucket.endpoint/key}, which works against AWS and against a numeric endpoint such as
 *       {@code 127.0.0.1} (where the SDK falls back to path style) but not against a named local
 *       endpoint such as {@code localhost}.
 *   <li>{@code --s3Credentials=env:..|file:..}: a credentials provider that reads the referenced
 *       secret on the worker. Only the reference travels with the pipeline options; with {@code
 *       default} the AWS options' provider (the AWS default credential chain unless {@code
 *       --awsCredentialsProvider} says otherwise) is kept.
 * </ul>
 *
 * <p>Installed by {@link S3Setup#configure}; Beam instantiates it by class name on every worker,
 * hence the public no-argument constructor.
 */
public class CollabS3ClientBuilderFactory implements S3ClientBuilderFactory {

  public CollabS3ClientBuilderFactory() {}

  @Override
  public S3ClientBuilder createBuilder(org.apache.beam.sdk.io.aws2.options.S3Options beamOptions) {
    S3ClientBuilder builder =
        ClientBuilderFactory.getFactory(beamOptions).create(S3Client.builder(), beamOptions);
    S3Options options = beamOptions.as(S3Options.class);
    if (options.getS3PathStyle()) {
      builder.forcePathStyle(true);
    }
    S3CredentialsReference credentials = S3CredentialsReference.parse(options.getS3Credentials());
    if (!credentials.isDefaultChain()) {
      builder.credentialsProvider(new ReferenceCredentialsProvider(credentials));
    }
    return builder;
  }
}
