package io.collabpipeline.it.s3;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.collabpipeline.pipelines.options.S3Options;
import io.collabpipeline.pipelines.s3.CollabS3ClientBuilderFactory;
import io.collabpipeline.pipelines.s3.S3Setup;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * {@link S3Setup}: options are checked only when S3 is used, and every mistake is one line naming
 * its option.
 */
@RunWith(JUnit4.class)
public class S3SetupTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final String RAW = "s3://collab-raw/raw";
  private static final String SECRET = "s3cr3t-value-that-must-not-travel";

  static {
    PipelineOptionsFactory.register(S3Options.class);
  }

  private static PipelineOptions parse(String... args) {
    return PipelineOptionsFactory.fromArgs(args).create();
  }

  private String credentialsFile(String content) throws Exception {
    Path f = tmp.newFile("credentials.properties").toPath();
    Files.write(f, content.getBytes(StandardCharsets.UTF_8));
    return "file:" + f;
  }

  private static IllegalArgumentException configureFails(
      PipelineOptions options, String... locations) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> S3Setup.configure(options, locations));
    assertThat(e.getMessage(), not(containsString("\n")));
    return e;
  }

  @Test
  public void localLocationsNeedNoS3Options() throws Exception {
    // No region, no credentials: nothing S3-specific is checked or changed for a local-only job.
    PipelineOptions options = parse();
    S3Setup.configure(options, tmp.getRoot() + "/raw", tmp.getRoot() + "/quarantine");
    assertThat(
        FileSystems.matchNewResource(tmp.getRoot() + "/raw", true).getScheme(), equalTo("file"));
    assertThat(
        options.as(S3Options.class).getS3ClientFactoryClass(),
        equalTo((Object) DefaultS3ClientBuilderFactory.class));
  }

  @Test
  public void s3LocationsResolveAfterConfigure() throws Exception {
    String credentials =
        credentialsFile("aws_access_key_id=AKIDEXAMPLE\naws_secret_access_key=" + SECRET + "\n");
    PipelineOptions options =
        parse(
            "--awsRegion=eu-west-1",
            "--endpoint=http://127.0.0.1:9",
            "--s3PathStyle=true",
            "--s3Credentials=" + credentials);
    S3Setup.configure(options, RAW);

    ResourceId id =
        FileSystems.matchNewResource(RAW + "/dt=2026-11-22/hr=01/part-x.parquet", false);
    assertThat(id.getScheme(), equalTo("s3"));
    assertThat(
        options.as(S3Options.class).getS3ClientFactoryClass(),
        equalTo((Object) CollabS3ClientBuilderFactory.class));
  }

  @Test
  public void theSecretDoesNotTravelWithThePipelineOptions() throws Exception {
    String credentials =
        credentialsFile("aws_access_key_id=AKIDEXAMPLE\naws_secret_access_key=" + SECRET + "\n");
    PipelineOptions options = parse("--awsRegion=us-east-1", "--s3Credentials=" + credentials);
    S3Setup.configure(options, RAW);

    ObjectMapper mapper =
        new ObjectMapper()
            .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));
    String serialized = mapper.writeValueAsString(options);
    assertThat(serialized, containsString(credentials));
    assertThat(serialized, containsString(CollabS3ClientBuilderFactory.class.getName()));
    assertThat(serialized, not(containsString(SECRET)));
  }

  @Test
  public void malformedCredentialReferenceNamesTheOption() {
    IllegalArgumentException e =
        configureFails(
            parse("--awsRegion=us-east-1", "--s3Credentials=env:ONLY_ONE_VARIABLE"), RAW);
    assertThat(e.getMessage(), startsWith("--s3Credentials=env:ONLY_ONE_VARIABLE: "));

    e =
        configureFails(
            parse("--awsRegion=us-east-1", "--s3Credentials=AKIDEXAMPLE:" + SECRET), RAW);
    // A value that is not a reference may be the secret itself: the option is named, never echoed.
    assertThat(e.getMessage(), startsWith("--s3Credentials (its value is not shown"));
    assertThat(e.getMessage(), not(containsString(SECRET)));
    assertThat(e.getMessage(), not(containsString("AKIDEXAMPLE")));
    assertThat(e.getMessage(), containsString("env:ACCESS_VAR,env:SECRET_VAR"));
  }

  @Test
  public void unsetEnvironmentVariableNamesTheOptionAndTheVariable() {
    String missing = "COLLAB_TEST_UNSET_" + Long.toHexString(System.nanoTime());
    assumeTrue(System.getenv(missing) == null);
    IllegalArgumentException e =
        configureFails(
            parse(
                "--awsRegion=us-east-1",
                "--s3Credentials=env:" + missing + ",env:" + missing + "_S"),
            RAW);
    assertThat(e.getMessage(), startsWith("--s3Credentials=env:" + missing));
    assertThat(e.getMessage(), containsString("environment variable " + missing + " is not set"));
  }

  @Test
  public void missingOrIncompleteCredentialsFileIsReportedWithoutTheSecret() throws Exception {
    String absent = "file:" + tmp.getRoot().toPath().resolve("absent.properties");
    IllegalArgumentException e =
        configureFails(parse("--awsRegion=us-east-1", "--s3Credentials=" + absent), RAW);
    assertThat(e.getMessage(), startsWith("--s3Credentials=" + absent + ": "));
    assertThat(e.getMessage(), containsString("does not exist"));

    String incomplete = credentialsFile("aws_access_key_id=AKIDEXAMPLE\nsecret=" + SECRET + "\n");
    e = configureFails(parse("--awsRegion=us-east-1", "--s3Credentials=" + incomplete), RAW);
    assertThat(e.getMessage(), containsString("has no aws_secret_access_key"));
    assertThat(e.getMessage(), not(containsString(SECRET)));
  }

  @Test
  public void staticSecretInAwsCredentialsProviderIsRefused() {
    PipelineOptions options = parse("--awsRegion=us-east-1");
    options
        .as(S3Options.class)
        .setAwsCredentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", SECRET)));
    IllegalArgumentException e = configureFails(options, RAW);
    assertThat(e.getMessage(), startsWith("--awsCredentialsProvider "));
    assertThat(e.getMessage(), containsString("--s3Credentials="));
    assertThat(e.getMessage(), not(containsString(SECRET)));
  }

  @Test
  public void missingRegionNamesAwsRegion() {
    // Only meaningful where the SDK's default region chain finds nothing on its own.
    assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null);
    assumeTrue(System.getProperty("aws.region") == null);
    assumeTrue(!Files.exists(Paths.get(System.getProperty("user.home"), ".aws", "config")));
    String previous = System.setProperty("aws.disableEc2Metadata", "true");
    try {
      IllegalArgumentException e = configureFails(parse(), RAW);
      assertThat(e.getMessage(), startsWith("--awsRegion is not set"));
    } finally {
      if (previous == null) {
        System.clearProperty("aws.disableEc2Metadata");
      } else {
        System.setProperty("aws.disableEc2Metadata", previous);
      }
    }
  }

  /**
   * An instance-metadata endpoint of our own (the SDK's {@code aws.ec2MetadataServiceEndpoint}): it
   * hands out a token and an identity document in region eu-west-3, and counts the requests.
   */
  private static final class FakeInstanceMetadata implements AutoCloseable {
    final AtomicInteger requests = new AtomicInteger();
    private final HttpServer server;
    private final String previousEndpoint;

    FakeInstanceMetadata() throws Exception {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            requests.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int status = 200;
            if (path.endsWith("/api/token")) {
              body = "fake-token".getBytes(StandardCharsets.UTF_8);
            } else if (path.endsWith("/instance-identity/document")) {
              body = "{\"region\":\"eu-west-3\"}".getBytes(StandardCharsets.UTF_8);
            } else {
              status = 404;
              body = new byte[0];
            }
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
      previousEndpoint =
          System.setProperty(
              "aws.ec2MetadataServiceEndpoint",
              "http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
      if (previousEndpoint == null) {
        System.clearProperty("aws.ec2MetadataServiceEndpoint");
      } else {
        System.setProperty("aws.ec2MetadataServiceEndpoint", previousEndpoint);
      }
      server.stop(0);
    }
  }

  private static void assumeNoRegionBeforeTheInstanceMetadata() {
    assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null);
    assumeTrue(System.getProperty("aws.region") == null);
    assumeTrue(System.getProperty("aws.disableEc2Metadata") == null);
    assumeTrue(!Files.exists(Paths.get(System.getProperty("user.home"), ".aws", "config")));
  }

  @Test
  public void aJobWithoutS3DoesNotAskTheInstanceMetadataForARegion() throws Exception {
    // Off EC2 the endpoint answers nothing, and the SDK's retries and back-off cost every launch
    // 0.75 s (S3Setup#resolveRegionWithoutInstanceMetadata).
    assumeNoRegionBeforeTheInstanceMetadata();
    try (FakeInstanceMetadata metadata = new FakeInstanceMetadata()) {
      PipelineOptions options = parse();
      S3Setup.configure(options, tmp.getRoot() + "/raw", tmp.getRoot() + "/quarantine");
      assertThat(metadata.requests.get(), equalTo(0));
      // The switch it turned on for the lookup is off again.
      assertThat(System.getProperty("aws.disableEc2Metadata"), nullValue());
    }
  }

  @Test
  public void aJobOnS3WithoutARegionStillTakesItFromTheInstanceMetadata() throws Exception {
    // The control of the test above: the fake endpoint is asked, and its region used, when the
    // job does use S3 (an EC2 host without --awsRegion).
    assumeNoRegionBeforeTheInstanceMetadata();
    try (FakeInstanceMetadata metadata = new FakeInstanceMetadata()) {
      PipelineOptions options = parse();
      S3Setup.configure(options, RAW);
      assertThat(metadata.requests.get(), greaterThan(0));
      assertThat(options.as(S3Options.class).getAwsRegion().id(), equalTo("eu-west-3"));
    }
  }

  @Test
  public void endpointWithoutHttpSchemeNamesTheOption() {
    IllegalArgumentException e =
        configureFails(
            parse("--awsRegion=us-east-1", "--endpoint=localhost:9090"), "/tmp/local-only");
    assertThat(e.getMessage(), startsWith("--endpoint=localhost:9090 "));
  }

  @Test
  public void anotherClientFactoryIsRefused() {
    PipelineOptions options = parse("--awsRegion=us-east-1");
    options.as(S3Options.class).setS3ClientFactoryClass(OtherFactory.class);
    IllegalArgumentException e = configureFails(options, RAW);
    assertThat(
        e.getMessage(), startsWith("--s3ClientFactoryClass=" + OtherFactory.class.getName()));
  }

  /** A client factory that is not ours. */
  public static class OtherFactory implements S3ClientBuilderFactory {
    @Override
    public S3ClientBuilder createBuilder(org.apache.beam.sdk.io.aws2.options.S3Options options) {
      return S3Client.builder();
    }
  }
}
