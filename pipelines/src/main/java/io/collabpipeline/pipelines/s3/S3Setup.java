package io.collabpipeline.pipelines.s3;

import io.collabpipeline.pipelines.options.S3Options;
import io.collabpipeline.pipelines.options.SecretOptions;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.options.PipelineOptions;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Makes {@code s3://} locations work for the raw store, the quarantine and anything else that goes
 * through Beam's {@link FileSystems}: validates the {@link S3Options}, installs {@link
 * CollabS3ClientBuilderFactory} as Beam's S3 client factory and registers the file systems with
 * {@link FileSystems#setDefaultPipelineOptions}.
 *
 * <p>Call {@link #configure} once, in {@code main}, after parsing the options and before building
 * the pipeline; it replaces the plain {@code FileSystems.setDefaultPipelineOptions(options)} call.
 * The options it changes are serialized with the pipeline, so the workers build the same S3 client
 * (the Flink runner registers the file systems on each worker from them).
 */
public final class S3Setup {
  /** The URI scheme of Beam's S3 file system. */
  public static final String SCHEME = "s3";

  private S3Setup() {}

  /** Whether {@code location} is an {@code s3://} URI. */
  public static boolean isS3(String location) {
    return location != null && location.toLowerCase(Locale.ROOT).startsWith(SCHEME + "://");
  }

  /**
   * Validates and applies the S3 options, then registers Beam's file systems with {@code options}.
   *
   * <p>The S3 options are checked only if S3 is in use: one of {@code locations} (e.g. the raw
   * store and quarantine prefixes) is an {@code s3://} URI, or an S3-specific option ({@code
   * --endpoint}, {@code --s3PathStyle}, {@code --s3Credentials}) is set. Then: {@code
   * --s3Credentials} must parse and its secret must be readable here (the launcher is expected to
   * see what the workers see: the same instance profile, environment or mounted file); {@code
   * --awsCredentialsProvider} must not hold a static secret (it would be serialized with the
   * pipeline options and shown by the runner's UI); a region must be known ({@code --awsRegion} or
   * the SDK's default region chain); {@code --endpoint}, if set, must be an {@code
   * http(s)://host[:port]} URL; and {@code --s3ClientFactoryClass} must not be set to a different
   * factory.
   *
   * @param options the job's options; any options object works (it is viewed {@code
   *     as(S3Options.class)})
   * @param locations the locations the job reads or writes through {@link FileSystems}
   * @throws IllegalArgumentException with a one-line message naming the option at fault
   */
  public static void configure(PipelineOptions options, String... locations) {
    S3Options s3 = options.as(S3Options.class);
    S3CredentialsReference credentials;
    try {
      credentials = S3CredentialsReference.parse(s3.getS3Credentials());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          SecretOptions.shown("s3Credentials", s3.getS3Credentials(), "default")
              + ": "
              + e.getMessage(),
          e);
    }
    boolean usesS3 =
        Arrays.stream(locations).anyMatch(S3Setup::isS3)
            || s3.getEndpoint() != null
            || s3.getS3PathStyle()
            || !credentials.isDefaultChain();
    if (usesS3) {
      checkEndpoint(s3.getEndpoint());
      checkCredentials(s3, credentials);
      checkRegion(s3);
      Class<?> factory = s3.getS3ClientFactoryClass();
      if (factory != null
          && !factory.equals(DefaultS3ClientBuilderFactory.class)
          && !factory.equals(CollabS3ClientBuilderFactory.class)) {
        throw new IllegalArgumentException(
            "--s3ClientFactoryClass="
                + factory.getName()
                + " would replace "
                + CollabS3ClientBuilderFactory.class.getSimpleName()
                + ", which applies --s3PathStyle and --s3Credentials: leave --s3ClientFactoryClass unset");
      }
      s3.setS3ClientFactoryClass(CollabS3ClientBuilderFactory.class);
    } else {
      resolveRegionWithoutInstanceMetadata(s3);
    }
    FileSystems.setDefaultPipelineOptions(options);
  }

  /** The AWS SDK's switch for the EC2 instance-metadata endpoint (a system property). */
  static final String EC2_METADATA_DISABLED = "aws.disableEc2Metadata";

  /**
   * For a job that does not use S3: resolves {@code --awsRegion}'s default now, from the AWS SDK's
   * default chain without its last step, the EC2 instance-metadata endpoint.
   *
   * <p>Registering Beam's file systems ({@link FileSystems#setDefaultPipelineOptions}) builds the
   * S3 file system's configuration whether or not anything uses it, and that asks for the region.
   * With no region configured, the SDK's chain ends at the instance-metadata endpoint, which off
   * EC2 (a laptop, a build machine) answers nothing: 0.75 s of retries and back-off on every
   * launch, measured on this project's command line. Here the chain skips it (the region stays
   * unset if nothing else names one), and the options keep what it found, so the registration asks
   * no more. A job that uses S3 resolves its region with the whole chain ({@link #checkRegion}).
   */
  private static void resolveRegionWithoutInstanceMetadata(S3Options s3) {
    String before = System.getProperty(EC2_METADATA_DISABLED);
    System.setProperty(EC2_METADATA_DISABLED, "true");
    try {
      s3.getAwsRegion();
    } catch (RuntimeException e) {
      // No region from the environment, system properties or profile: none is needed here.
    } finally {
      if (before == null) {
        System.clearProperty(EC2_METADATA_DISABLED);
      } else {
        System.setProperty(EC2_METADATA_DISABLED, before);
      }
    }
  }

  private static void checkEndpoint(URI endpoint) {
    if (endpoint == null) {
      return;
    }
    String scheme =
        endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || endpoint.getHost() == null) {
      throw new IllegalArgumentException(
          "--endpoint="
              + endpoint
              + " is not an http(s)://host[:port] URL, e.g. --endpoint=http://127.0.0.1:9090");
    }
  }

  private static void checkCredentials(S3Options s3, S3CredentialsReference credentials) {
    if (!credentials.isDefaultChain()) {
      try {
        credentials.resolve();
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException(
            "--s3Credentials=" + credentials + ": " + e.getMessage(), e);
      }
      return;
    }
    if (s3.getAwsCredentialsProvider() instanceof StaticCredentialsProvider) {
      throw new IllegalArgumentException(
          "--awsCredentialsProvider holds a static secret, which would travel with the pipeline options: pass it by"
              + " reference with --s3Credentials=env:ACCESS_VAR,env:SECRET_VAR or --s3Credentials=file:/path instead");
    }
  }

  private static void checkRegion(S3Options s3) {
    Region region = s3.getAwsRegion();
    if (region == null || region.id().isEmpty()) {
      throw new IllegalArgumentException(
          "--awsRegion is not set and the AWS SDK found no default region (AWS_REGION, ~/.aws/config, instance"
              + " metadata): pass e.g. --awsRegion=us-east-1");
    }
  }
}
