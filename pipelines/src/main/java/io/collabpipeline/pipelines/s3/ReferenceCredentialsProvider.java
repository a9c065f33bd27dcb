package io.collabpipeline.pipelines.s3;

import java.time.Duration;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * An AWS credentials provider that reads static credentials through an {@link
 * S3CredentialsReference} on the worker and re-reads them every {@link #REFRESH} (so a rotated
 * secret file or a restarted worker's new environment is picked up without reading the secret on
 * every request). It is installed on the S3 client by {@link CollabS3ClientBuilderFactory}, never
 * put into the pipeline options, so the secret is never serialized with them.
 */
final class ReferenceCredentialsProvider implements AwsCredentialsProvider {
  static final Duration REFRESH = Duration.ofMinutes(5);

  private final S3CredentialsReference reference;
  private AwsCredentials cached;
  private long cachedAtNanos;

  ReferenceCredentialsProvider(S3CredentialsReference reference) {
    if (reference.isDefaultChain()) {
      throw new IllegalArgumentException("the default chain is not a static credentials reference");
    }
    this.reference = Objects.requireNonNull(reference, "reference");
  }

  @Override
  public synchronized AwsCredentials resolveCredentials() {
    long now = System.nanoTime();
    if (cached == null || now - cachedAtNanos > REFRESH.toNanos()) {
      try {
        cached = reference.resolve();
      } catch (IllegalStateException e) {
        throw SdkClientException.create(
            "S3 credentials from --s3Credentials=" + reference + ": " + e.getMessage());
      }
      cachedAtNanos = now;
    }
    return cached;
  }

  /** Names the reference, never the credentials. */
  @Override
  public String toString() {
    return "ReferenceCredentialsProvider(" + reference + ")";
  }
}
