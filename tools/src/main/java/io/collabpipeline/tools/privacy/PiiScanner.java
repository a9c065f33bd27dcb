package io.collabpipeline.tools.privacy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;

/**
 * Searches the outputs of a run for personal data: planted values (exact strings the test or the
 * operator knows went in: emails, names, IPs, user agents, free texts, raw user ids) and generic
 * detectors (anything shaped like an email address, a routable IPv4 address, or a browser user
 * agent such as {@code Mozilla/5.0}). Findings name the place and the kind and show the value
 * masked ({@link #mask}), never in full.
 *
 * <p>A value must not hide behind an encoding, so what is encoded is decoded first:
 *
 * <ul>
 *   <li>Parquet files (magic {@code PAR1}) are read row by row with parquet-avro, every column of
 *       every row as text (nested records, lists and maps walked);
 *   <li>DuckDB database files (magic {@code DUCK}) are opened read-only and every column of every
 *       table is cast to {@code VARCHAR} (the file holds strings compressed);
 *   <li>gzip data is decompressed;
 *   <li>runs of 24 or more base64 characters (standard or URL-safe) are decoded (the quarantine
 *       keeps original bytes in base64);
 *   <li>everything (including the files above) is also searched as bytes for the UTF-8 of each
 *       planted value, for its JSON {@code \u005Cu}-escaped form when it is not ASCII, and for
 *       Kryo's ASCII form (last byte with the high bit set).
 * </ul>
 *
 * <p>Byte search suffices for Flink checkpoints of a Beam job: Beam on Flink snapshots state
 * through Beam coders (Flink's {@code CoderTypeSerializer}), and Beam's {@code StringUtf8Coder} and
 * this project's coders write strings as length-prefixed UTF-8; the heap state backend writes them
 * uncompressed unless {@code execution.checkpointing.snapshot-compression} is set (it is not in any
 * profile here). Checkpoint files compressed with snappy would need decoding that this class does
 * not do. The pipeline's PII scan test plants a value into a checkpoint and shows it is found.
 *
 * <p>Kafka topics are read from the beginning of every partition to the end offsets at the time of
 * the call, uncommitted (aborted) records included: key, value and every header's value.
 *
 * <pre>{@code
 * PiiScanner scanner = PiiScanner.builder()
 *     .plant("email", "zed.quill@example.org").plant("user_gid", "90210417730055512345")
 *     .build();
 * List<PiiScanner.Finding> findings = scanner.scanDirectory(Path.of("/data/raw"));
 * findings.addAll(scanner.scanTopic(consumerConfig, "collab-events", Duration.ofSeconds(30)));
 * }</pre>
 */
public final class PiiScanner {
  /** Kind of a generic email finding. */
  public static final String EMAIL_PATTERN = "email pattern";

  /** Kind of a generic IPv4 finding. */
  public static final String IPV4_PATTERN = "ipv4 pattern";

  /** Kind of a generic user-agent finding. */
  public static final String USER_AGENT_PATTERN = "user-agent pattern";

  // The top-level domain in one case and not followed by a letter: Java class names in serialized
  // state ("AN@io.FileBasedSink") are not addresses.
  private static final Pattern EMAIL =
      Pattern.compile(
          "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*"
              + "\\.(?:[a-z]{2,24}|[A-Z]{2,24})(?![A-Za-z0-9])");
  private static final Pattern IPV4 =
      Pattern.compile(
          "(?<![0-9.])(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?![0-9]|\\.[0-9])");
  private static final Pattern USER_AGENT =
      Pattern.compile("(?:Mozilla|AppleWebKit|Dalvik|CFNetwork|Opera)/\\d[^\\s\"]{0,40}");
  private static final Pattern BASE64_RUN = Pattern.compile("[A-Za-z0-9+/_-]{24,}={0,2}");
  private static final int MAX_DEPTH = 3;
  private static final long MAX_DECOMPRESSED_BYTES = 1L << 30;

  private final Map<String, String> planted; // value -> kind
  private final List<Needle> needles;
  private final Set<String> ignoredAddresses;

  private PiiScanner(Map<String, String> planted, Set<String> ignoredAddresses) {
    this.planted = Collections.unmodifiableMap(new LinkedHashMap<>(planted));
    this.ignoredAddresses = Set.copyOf(ignoredAddresses);
    List<Needle> n = new ArrayList<>();
    for (Map.Entry<String, String> e : planted.entrySet()) {
      for (String form : forms(e.getKey())) {
        n.add(new Needle(e.getKey(), e.getValue(), form));
      }
    }
    this.needles = List.copyOf(n);
  }

  /** A scanner with no planted values, ignoring only loopback and this machine's addresses. */
  public static Builder builder() {
    return new Builder();
  }

  /** The planted values: value to kind. */
  public Map<String, String> planted() {
    return planted;
  }

  /** Configuration of a {@link PiiScanner}. */
  public static final class Builder {
    private final Map<String, String> planted = new LinkedHashMap<>();
    private final Set<String> ignoredAddresses = new HashSet<>();
    private boolean ignoreLocalAddresses = true;

    private Builder() {}

    /**
     * Searches for {@code value} exactly (and in its escaped forms), reported as {@code kind}
     * ("email", "name", "ip", "user_agent", "free_text", "user_gid", ...). A value shorter than 6
     * characters would be found by chance: refused.
     */
    public Builder plant(String kind, String value) {
      if (value == null || value.length() < 6) {
        throw new IllegalArgumentException(
            "a planted value needs at least 6 characters, or it matches by chance (kind "
                + kind
                + ")");
      }
      planted.put(value, kind);
      return this;
    }

    /** Every value of {@code values} as {@code kind}. */
    public Builder plantAll(String kind, Collection<String> values) {
      values.forEach(v -> plant(kind, v));
      return this;
    }

    /**
     * An IPv4 address the generic detector does not report (an address of the infrastructure, not
     * of a user). Loopback, {@code 0.0.0.0}, broadcast and this machine's own addresses are ignored
     * unless {@link #reportLocalAddresses}.
     */
    public Builder ignoreAddress(String ipv4) {
      ignoredAddresses.add(ipv4);
      return this;
    }

    /** Reports this machine's own interface addresses too. */
    public Builder reportLocalAddresses() {
      ignoreLocalAddresses = false;
      return this;
    }

    public PiiScanner build() {
      Set<String> ignored = new HashSet<>(ignoredAddresses);
      ignored.add("0.0.0.0");
      ignored.add("255.255.255.255");
      if (ignoreLocalAddresses) {
        ignored.addAll(localAddresses());
      }
      for (String v : planted.keySet()) {
        ignored.remove(v); // a planted address is always reported
      }
      return new PiiScanner(planted, ignored);
    }
  }

  /** One place where personal data was found. Its text masks the value. */
  public static final class Finding {
    private final String location;
    private final String kind;
    private final String value;

    Finding(String location, String kind, String value) {
      this.location = location;
      this.kind = kind;
      this.value = value;
    }

    /** Where: a file (and row, column, offset, decoding), or a topic record's part. */
    public String location() {
      return location;
    }

    /** What: {@code planted <kind>} or a generic detector ({@link #EMAIL_PATTERN}, ...). */
    public String kind() {
      return kind;
    }

    /** The value, masked. */
    public String masked() {
      return mask(value);
    }

    /** Whether this finding is of {@code plantedValue}; compares without revealing the value. */
    public boolean isOf(String plantedValue) {
      return value.equals(plantedValue);
    }

    /** Whether this is a planted value's finding (not a generic detector's). */
    public boolean isPlanted() {
      return kind.startsWith("planted ");
    }

    @Override
    public String toString() {
      return location + ": " + kind + " " + masked();
    }
  }

  /**
   * {@code value} masked: its first two characters, then its length ({@code "ze…(21 chars)"}), so a
   * report can say which one without repeating it.
   */
  public static String mask(String value) {
    int n = value.codePointCount(0, value.length());
    String head = value.substring(0, value.offsetByCodePoints(0, Math.min(2, n)));
    return head + "…(" + n + " chars)";
  }

  /** Every regular file under {@code dir} (recursively); nothing if it does not exist. */
  public List<Finding> scanDirectory(Path dir) throws IOException {
    List<Finding> findings = new ArrayList<>();
    if (!Files.exists(dir)) {
      return findings;
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      findings.addAll(scanFile(f));
    }
    return findings;
  }

  /** One file: its bytes, and its rows if it is a Parquet or DuckDB file. */
  public List<Finding> scanFile(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    String location = file.toString();
    List<Finding> findings = new ArrayList<>(scanBytes(location, bytes));
    if (isParquet(bytes)) {
      findings.addAll(scanParquet(file));
    } else if (isDuckDb(bytes)) {
      findings.addAll(scanDuckDb(file));
    }
    return findings;
  }

  /** {@code text} (a scraped metrics page, say) as UTF-8 bytes. */
  public List<Finding> scanText(String location, String text) {
    return scanBytes(location, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Bytes from anywhere: decompressed if gzip, base64 runs decoded, then searched. */
  public List<Finding> scanBytes(String location, byte[] bytes) {
    List<Finding> findings = new ArrayList<>();
    scan(location, bytes, 0, findings);
    return findings;
  }

  /** Every record of {@code topic} from the beginning to the current end offsets. */
  public List<Finding> scanTopic(Map<String, Object> consumerConfig, String topic, Duration timeout)
      throws IOException {
    Map<String, Object> c = new HashMap<>(consumerConfig);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    List<Finding> findings = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      List<TopicPartition> parts = new ArrayList<>();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IOException("topic " + topic + " has no partitions (does it exist?)");
      }
      infos.forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!atEnd(consumer, parts, end)) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "topic " + topic + " not read to its end offsets " + end + " in " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String at = "kafka " + r.topic() + "/" + r.partition() + "@" + r.offset();
          if (r.key() != null) {
            scan(at + " key", r.key(), 0, findings);
          }
          if (r.value() != null) {
            scan(at + " value", r.value(), 0, findings);
          }
          for (Header h : r.headers()) {
            scan(at + " header " + h.key(), h.key().getBytes(StandardCharsets.UTF_8), 0, findings);
            if (h.value() != null) {
              scan(at + " header " + h.key(), h.value(), 0, findings);
            }
          }
        }
      }
    }
    return findings;
  }

  private static boolean atEnd(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> parts,
      Map<TopicPartition, Long> end) {
    for (TopicPartition p : parts) {
      if (consumer.position(p) < end.get(p)) {
        return false;
      }
    }
    return true;
  }

  /** Every row of a Parquet file, every column as text. */
  List<Finding> scanParquet(Path file) throws IOException {
    List<Finding> findings = new ArrayList<>();
    try (ParquetReader<GenericRecord> reader =
        AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file)).build()) {
      long row = 0;
      for (GenericRecord r = reader.read(); r != null; r = reader.read(), row++) {
        scanValue(file + " parquet row " + row + " column ", r, findings);
      }
    }
    return findings;
  }

  private void scanValue(String location, Object value, List<Finding> findings) {
    if (value == null) {
      return;
    }
    if (value instanceof GenericRecord) {
      GenericRecord r = (GenericRecord) value;
      boolean top = location.endsWith(" column ");
      for (org.apache.avro.Schema.Field f : r.getSchema().getFields()) {
        scanValue(location + (top ? "" : ".") + f.name(), r.get(f.pos()), findings);
      }
    } else if (value instanceof ByteBuffer) {
      ByteBuffer b = ((ByteBuffer) value).duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      scan(location, bytes, 0, findings);
    } else if (value instanceof Collection) {
      for (Object o : (Collection<?>) value) {
        scanValue(location + "[]", o, findings);
      }
    } else if (value instanceof Map) {
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        scanValue(location + "{key}", e.getKey(), findings);
        scanValue(location + "{value}", e.getValue(), findings);
      }
    } else if (value instanceof org.apache.avro.generic.GenericFixed) {
      scan(location, ((org.apache.avro.generic.GenericFixed) value).bytes(), 0, findings);
    } else {
      scan(location, String.valueOf(value).getBytes(StandardCharsets.UTF_8), 0, findings);
    }
  }

  /**
   * Every table of a DuckDB database file, every column cast to text; the file opened read-only.
   */
  List<Finding> scanDuckDb(Path file) throws IOException {
    List<Finding> findings = new ArrayList<>();
    Properties read = new Properties();
    read.setProperty("duckdb.read_only", "true");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file, read);
        Statement st = c.createStatement()) {
      List<String[]> tables = new ArrayList<>();
      try (ResultSet rs =
          st.executeQuery(
              "SELECT table_schema, table_name FROM information_schema.tables"
                  + " WHERE table_type = 'BASE TABLE' ORDER BY 1, 2")) {
        while (rs.next()) {
          tables.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      for (String[] t : tables) {
        String name = quote(t[0]) + "." + quote(t[1]);
        try (ResultSet rs = st.executeQuery("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM " + name)) {
          ResultSetMetaData md = rs.getMetaData();
          long row = 0;
          while (rs.next()) {
            for (int i = 1; i <= md.getColumnCount(); i++) {
              String v = rs.getString(i);
              if (v != null) {
                scan(
                    file + " duckdb " + name + " row " + row + " column " + md.getColumnName(i),
                    v.getBytes(StandardCharsets.UTF_8),
                    0,
                    findings);
              }
            }
            row++;
          }
        }
      }
    } catch (SQLException e) {
      throw new IOException(
          "cannot read the DuckDB database "
              + file
              + " (is a job still holding it open?): "
              + e.getMessage(),
          e);
    }
    return findings;
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private void scan(String location, byte[] bytes, int depth, List<Finding> findings) {
    if (isGzip(bytes) && depth < MAX_DEPTH) {
      byte[] inflated = gunzip(bytes);
      if (inflated != null) {
        scan(location + " (gunzipped)", inflated, depth + 1, findings);
      }
    }
    // ISO-8859-1 maps each byte to one char: searching this string is searching the bytes.
    String latin1 = new String(bytes, StandardCharsets.ISO_8859_1);
    Set<String> found = new HashSet<>();
    for (Needle n : needles) {
      if (!found.contains(n.value) && latin1.contains(n.form)) {
        found.add(n.value);
        findings.add(new Finding(location, "planted " + n.kind, n.value));
      }
    }
    generic(location, latin1, EMAIL, EMAIL_PATTERN, found, findings);
    generic(location, latin1, USER_AGENT, USER_AGENT_PATTERN, found, findings);
    Matcher ip = IPV4.matcher(latin1);
    while (ip.find()) {
      String a = ip.group();
      if (isAddress(ip)
          && !ignoredAddresses.contains(a)
          && !ip.group(1).equals("127")
          && found.add(a)) {
        findings.add(new Finding(location, IPV4_PATTERN, a));
      }
    }
    if (depth < MAX_DEPTH) {
      Matcher b64 = BASE64_RUN.matcher(latin1);
      while (b64.find()) {
        byte[] decoded = decodeBase64(b64.group());
        if (decoded != null) {
          scan(location + " (base64 at " + b64.start() + ")", decoded, depth + 1, findings);
        }
      }
    }
  }

  private void generic(
      String location,
      String text,
      Pattern pattern,
      String kind,
      Set<String> found,
      List<Finding> findings) {
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      String v = m.group();
      if (!planted.containsKey(v) && found.add(v)) {
        findings.add(new Finding(location, kind, v));
      }
    }
  }

  private static boolean isAddress(Matcher ip) {
    for (int g = 1; g <= 4; g++) {
      if (Integer.parseInt(ip.group(g)) > 255) {
        return false;
      }
    }
    return true;
  }

  private static byte[] decodeBase64(String run) {
    String s = run.replace('-', '+').replace('_', '/');
    int end = s.indexOf('=');
    String body = end < 0 ? s : s.substring(0, end);
    if (body.length() % 4 == 1) {
      body = body.substring(0, body.length() - 1);
    }
    try {
      return Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] gunzip(byte[] bytes) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_DECOMPRESSED_BYTES));
      return out;
    } catch (IOException e) {
      return null; // gzip magic by chance, or a truncated stream: the bytes were searched as they
      // are
    }
  }

  static boolean isGzip(byte[] b) {
    return b.length > 18 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
  }

  static boolean isParquet(byte[] b) {
    return b.length >= 12 && startsWith(b, 0, "PAR1") && startsWith(b, b.length - 4, "PAR1");
  }

  static boolean isDuckDb(byte[] b) {
    return b.length >= 16 && startsWith(b, 8, "DUCK");
  }

  private static boolean startsWith(byte[] b, int at, String magic) {
    byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < m.length; i++) {
      if (b[at + i] != m[i]) {
        return false;
      }
    }
    return true;
  }

  /** The byte forms of a value, as ISO-8859-1 strings: UTF-8, JSON-escaped, Kryo ASCII. */
  private static List<String> forms(String value) {
    List<String> forms = new ArrayList<>();
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    forms.add(new String(utf8, StandardCharsets.ISO_8859_1));
    boolean ascii = utf8.length == value.length();
    if (ascii) {
      byte[] kryo = utf8.clone();
      kryo[kryo.length - 1] |= (byte) 0x80;
      forms.add(new String(kryo, StandardCharsets.ISO_8859_1));
    } else {
      forms.add(jsonEscaped(value, "\\u%04x"));
      forms.add(jsonEscaped(value, "\\u%04X"));
    }
    return forms;
  }

  private static String jsonEscaped(String value, String format) {
    StringBuilder escaped = new StringBuilder();
    for (char ch : value.toCharArray()) {
      escaped.append(ch < 0x80 ? String.valueOf(ch) : String.format(format, (int) ch));
    }
    return escaped.toString();
  }

  private static Set<String> localAddresses() {
    Set<String> out = new HashSet<>();
    try {
      Enumeration<NetworkInterface> nis = NetworkInterface.getNetworkInterfaces();
      while (nis != null && nis.hasMoreElements()) {
        for (Enumeration<InetAddress> as = nis.nextElement().getInetAddresses();
            as.hasMoreElements(); ) {
          InetAddress a = as.nextElement();
          if (a.getAddress().length == 4) {
            out.add(a.getHostAddress());
          }
        }
      }
    } catch (SocketException e) {
      // no interfaces to list: nothing more to ignore
    }
    return out;
  }

  private static final class Needle {
    final String value;
    final String kind;
    final String form;

    Needle(String value, String kind, String form) {
      this.value = value;
      this.kind = kind;
      this.form = form;
    }
  }
}
