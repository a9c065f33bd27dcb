package io.collabpipeline.tools.privacy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.tools.privacy.PiiScanner.Finding;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The scanner finds a planted value in every format the pipeline writes, through the encoding that
 * hides it from a byte search (Parquet pages compressed with snappy, as the raw store's, a DuckDB
 * database, gzip, base64 in JSON), finds values it was not told about by shape (email, routable
 * IPv4, browser user agent), finds nothing in clean files, and never prints a value in full. The
 * files are written with DuckDB and the JDK, not with the scanner's readers.
 */
@RunWith(JUnit4.class)
public class PiiScannerTest {
  private static final String EMAIL = "zed.quill@example.org";
  private static final String NAME = "Zoë Quillfeather";
  private static final String GID = "90210417730055512345";
  private static final String TEXT = "call me on the secret line before friday";

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final PiiScanner scanner =
      PiiScanner.builder()
          .plant("email", EMAIL)
          .plant("name", NAME)
          .plant("user_gid", GID)
          .plant("free_text", TEXT)
          .build();

  @Test
  public void findsPlantedValuesInsideCompressedParquetRows() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("part-0.parquet");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute(
          "COPY (SELECT 'evt-' || i AS event_id, CASE WHEN i = 7 THEN '"
              + GID
              + "' ELSE 'u' || i END AS user_ref, [CASE WHEN i = 3 THEN '"
              + NAME
              + "' ELSE 'x' END] AS names FROM range(200) t(i)) TO '"
              + file
              + "' (FORMAT parquet, COMPRESSION snappy)");
    }
    List<Finding> findings = scanner.scanFile(file);
    assertThat(
        locationsOf(findings, GID), hasItem(containsString("parquet row 7 column user_ref")));
    assertThat(
        locationsOf(findings, NAME), hasItem(containsString("parquet row 3 column names[]")));
  }

  @Test
  public void findsPlantedValuesInEveryTableOfADuckDbDatabase() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("w.duckdb");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA staging");
      st.execute("CREATE TABLE main.clean (k BIGINT, v VARCHAR)");
      st.execute("INSERT INTO main.clean SELECT i, 'row ' || i FROM range(1000) t(i)");
      st.execute("CREATE TABLE staging.leaky (k BIGINT, doc STRUCT(who VARCHAR, n INT))");
      st.execute(
          "INSERT INTO staging.leaky SELECT i, {'who': CASE WHEN i = 42 THEN '"
              + EMAIL
              + "' ELSE 'nobody' END, 'n': i} FROM range(1000) t(i)");
    }
    List<Finding> findings = scanner.scanFile(file);
    assertThat(
        locationsOf(findings, EMAIL),
        hasItem(containsString("duckdb \"staging\".\"leaky\" row 42 column doc")));
    assertThat(locationsOf(findings, GID), empty());
  }

  @Test
  public void findsPlantedValuesInGzipAndBase64AndPlainFiles() throws Exception {
    Path dir = tmp.newFolder("out").toPath();
    Path gz = dir.resolve("log.txt.gz");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(
          ("12:00 WARN something about " + TEXT + "\n").repeat(3).getBytes(StandardCharsets.UTF_8));
    }
    Files.write(gz, b.toByteArray());
    Path jsonl = dir.resolve("dt=2026-12-01").resolve("quarantine-0.jsonl");
    Files.createDirectories(jsonl.getParent());
    String original = "{\"actor\":{\"email\":\"" + EMAIL + "\",\"name\":\"" + NAME + "\"}";
    String line =
        "{\"reason\":\"JSON_INVALID\",\"original_base64\":\""
            + Base64.getEncoder().encodeToString(original.getBytes(StandardCharsets.UTF_8))
            + "\"}\n";
    Files.writeString(jsonl, line);
    String decoded = jsonl + " (base64 at " + (line.indexOf(":\"", 20) + 2) + ")";
    Path plain = dir.resolve("metrics.txt");
    Files.writeString(plain, "validate_quarantined{user=\"" + GID + "\"} 1\n");
    Path escaped = dir.resolve("escaped.json");
    Files.writeString(escaped, "{\"name\":\"Zo\\u00EB Quillfeather\"}");

    List<Finding> findings = scanner.scanDirectory(dir);
    assertThat(locationsOf(findings, TEXT), equalTo(Set.of(gz + " (gunzipped)")));
    assertThat(
        "the base64 of the quarantine is decoded",
        locationsOf(findings, EMAIL),
        equalTo(Set.of(decoded)));
    assertThat(locationsOf(findings, NAME), equalTo(Set.of(decoded, escaped.toString())));
    assertThat(locationsOf(findings, GID), equalTo(Set.of(plain.toString())));
  }

  @Test
  public void genericDetectorsFindUnplantedEmailsRoutableAddressesAndUserAgents() {
    String log =
        "connected to 127.0.0.1:9092 and 0.0.0.0, version 1.19.3.1.2 of x\n"
            + "request from 203.0.113.77 by someone@corp.example.com with Mozilla/5.0 (X11)\n"
            + "object java.lang.Object@6d06d69c, akka://flink@localhost, 10.300.1.2, AN@io.FileBasedSink\n";
    List<Finding> findings = scanner.scanText("log", log);
    Set<String> kinds =
        findings.stream()
            .map(f -> f.kind() + " " + f.masked())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(
        kinds,
        equalTo(
            Set.of(
                PiiScanner.EMAIL_PATTERN + " so…(24 chars)",
                PiiScanner.IPV4_PATTERN + " 20…(12 chars)",
                PiiScanner.USER_AGENT_PATTERN + " Mo…(11 chars)")));
  }

  @Test
  public void cleanOutputsHaveNoFindings() throws Exception {
    Path dir = tmp.newFolder("clean").toPath();
    Files.writeString(dir.resolve("a.jsonl"), "{\"user_pseudonym\":\"u_3f9a1c\",\"len\":41}\n");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute(
          "COPY (SELECT i, 'k_' || md5(i::VARCHAR) AS p FROM range(50) t(i)) TO '"
              + dir.resolve("b.parquet")
              + "' (FORMAT parquet)");
    }
    assertThat(scanner.scanDirectory(dir), empty());
  }

  @Test
  public void aFindingNeverPrintsTheValue() {
    List<Finding> findings = scanner.scanText("page", "user " + EMAIL + " at " + GID);
    assertThat(findings.size(), equalTo(2));
    for (Finding f : findings) {
      assertThat(f.toString(), not(containsString(EMAIL)));
      assertThat(f.toString(), not(containsString(GID)));
      assertThat(f.toString(), not(containsString("quill")));
    }
    assertThat(PiiScanner.mask(EMAIL), equalTo("ze…(21 chars)"));
  }

  @Test
  public void refusesPlantedValuesShortEnoughToMatchByChance() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PiiScanner.builder().plant("user_gid", "42"));
    assertThat(e.getMessage(), containsString("at least 6 characters"));
  }

  private static Set<String> locationsOf(List<Finding> findings, String value) {
    return findings.stream()
        .filter(f -> f.isOf(value))
        .map(Finding::location)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
