package io.collabpipeline.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * How the raw store and the quarantine reach S3: Beam's own S3 options ({@code --awsRegion}, {@code
 * --endpoint}, {@code --awsCredentialsProvider}, {@code --s3UploadBufferSizeBytes}, {@code
 * --SSEAlgorithm}, ...) plus the two things Beam has no option for: path-style addressing and
 * static credentials passed by reference.
 *
 * <p>These options only take effect through {@link
 * io.collabpipeline.pipelines.s3.S3Setup#configure}, which validates them and installs {@link
 * io.collabpipeline.pipelines.s3.CollabS3ClientBuilderFactory} as Beam's S3 client factory.
 *
 * <p>Against AWS nothing needs to be set beyond {@code --awsRegion} (or the SDK's default region
 * chain): credentials come from the AWS default chain (instance profile, environment, profile
 * file). Against a local S3-compatible endpoint: {@code --awsRegion=us-east-1
 * --endpoint=http://127.0.0.1:9090 --s3PathStyle=true
 * --s3Credentials=file:/path/to/credentials.properties}.
 */
public interface S3Options extends org.apache.beam.sdk.io.aws2.options.S3Options {
  @Description(
      "Address buckets path-style (http://endpoint/bucket/key) instead of virtual-host style "
          + "(http://bucket.endpoint/key). Needed for local S3-compatible endpoints addressed by a host name such as "
          + "localhost; AWS itself does not need it.")
  @Default.Boolean(false)
  boolean getS3PathStyle();

  void setS3PathStyle(boolean value);

  @Description(
      "S3 credentials, by reference only (never the secret itself): 'default' for the AWS default "
          + "credential chain (or --awsCredentialsProvider); 'env:ACCESS_KEY_VAR,env:SECRET_KEY_VAR[,env:SESSION_TOKEN_VAR]' "
          + "for environment variables of every worker; or 'file:/path' for a Java properties file on every worker with "
          + "aws_access_key_id, aws_secret_access_key and optionally aws_session_token.")
  @Default.String("default")
  String getS3Credentials();

  void setS3Credentials(String value);
}
