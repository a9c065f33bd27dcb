package io.collabpipeline.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.DisallowUnknownKeywordFactory;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The event contract, loaded once from the classpath: the envelope schema and one payload schema
 * per (event_type, version), each compiled once, with the privacy classification of every property.
 *
 * <p>Layout under the resource base (default {@value #DEFAULT_BASE}): {@code index.json} names the
 * envelope schema and lists the registered types and versions; the payload schema of (t, n) is
 * {@code events/t/vn.json}. Schemas are JSON Schema draft 2020-12; the custom keywords {@code
 * x-privacy} and {@code x-derive} are declared on the dialect as non-validating keywords, and any
 * other unknown keyword fails the load (a typo such as {@code x-privcy} must not silently leave a
 * field unclassified). Loading also fails if any property lacks a valid {@code x-privacy}.
 *
 * <p>Each schema is also compiled into a {@link SubsetSchema} when it uses only the keywords that
 * class implements: a document it certainly accepts is valid without calling the library; every
 * other document is validated by the library, so the errors are always the library's.
 *
 * <p>Thread-safe and immutable once loaded; validation allocates only for errors, and error
 * descriptions carry a JSON pointer and a keyword, never a value. Not {@link java.io.Serializable}:
 * in a Beam DoFn, load it in {@code @Setup}.
 */
public final class EventSchemaRegistry {
  /** Classpath folder of the shipped contract. */
  public static final String DEFAULT_BASE = "io/collabpipeline/schemas";

  private static final String INDEX = "index.json";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static volatile EventSchemaRegistry defaultInstance;

  private final Compiled envelope;
  private final Map<String, Map<Integer, Compiled>> payloads;
  private final SortedSet<String> eventTypes;
  private final boolean fastPath;

  private EventSchemaRegistry(
      Compiled envelope, Map<String, Map<Integer, Compiled>> payloads, boolean fastPath) {
    this.envelope = envelope;
    this.payloads = payloads;
    this.eventTypes = Collections.unmodifiableSortedSet(new TreeSet<>(payloads.keySet()));
    this.fastPath = fastPath;
  }

  /**
   * The same contract validated by the JSON-Schema library alone, without the {@linkplain
   * SubsetSchema fast path}: the oracle of the tests and the benchmark's "before". Every answer
   * equals this registry's; only slower.
   */
  public EventSchemaRegistry libraryOnly() {
    return fastPath ? new EventSchemaRegistry(envelope, payloads, false) : this;
  }

  /**
   * The shipped contract. Loaded and compiled on first use, then shared (the registry is immutable
   * and thread-safe).
   *
   * @throws SchemaDefinitionException if a shipped schema is missing or invalid
   */
  public static EventSchemaRegistry loadDefault() {
    EventSchemaRegistry r = defaultInstance;
    if (r == null) {
      synchronized (EventSchemaRegistry.class) {
        r = defaultInstance;
        if (r == null) {
          r = load(EventSchemaRegistry.class.getClassLoader(), DEFAULT_BASE);
          defaultInstance = r;
        }
      }
    }
    return r;
  }

  /**
   * Loads a contract laid out like the shipped one under {@code base} (tests use this for
   * deliberately broken contracts).
   *
   * @throws SchemaDefinitionException if the index or a schema is missing or invalid
   */
  public static EventSchemaRegistry load(ClassLoader loader, String base) {
    JsonNode index = readResource(loader, base + "/" + INDEX);
    JsonSchemaFactory factory = newFactory();
    SchemaValidatorsConfig config = validatorsConfig();

    String envelopePath = index.path("envelope").asText(null);
    if (envelopePath == null) {
      throw new SchemaDefinitionException(base + "/" + INDEX + ": no \"envelope\" entry");
    }
    Compiled envelope = compile(factory, config, loader, base + "/" + envelopePath);

    JsonNode types = index.get("event_types");
    if (types == null || !types.isObject() || types.isEmpty()) {
      throw new SchemaDefinitionException(base + "/" + INDEX + ": no \"event_types\" object");
    }
    Map<String, Map<Integer, Compiled>> payloads = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = types.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String type = e.getKey();
      if (!e.getValue().isArray() || e.getValue().isEmpty()) {
        throw new SchemaDefinitionException(
            base + "/" + INDEX + ": " + type + " lists no versions");
      }
      Map<Integer, Compiled> versions = new TreeMap<>();
      for (JsonNode v : e.getValue()) {
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
          throw new SchemaDefinitionException(
              base + "/" + INDEX + ": " + type + " has a version that is not an integer >= 1");
        }
        versions.put(
            v.intValue(), compile(factory, config, loader, payloadPath(base, type, v.intValue())));
      }
      payloads.put(type, Collections.unmodifiableMap(versions));
    }
    return new EventSchemaRegistry(envelope, Collections.unmodifiableMap(payloads), true);
  }

  /** The classpath path of the payload schema of (type, version) under {@code base}. */
  public static String payloadPath(String base, String eventType, int version) {
    return base + "/events/" + eventType + "/v" + version + ".json";
  }

  /** The registered event types, sorted. */
  public SortedSet<String> eventTypes() {
    return eventTypes;
  }

  public boolean isRegistered(String eventType) {
    return payloads.containsKey(eventType);
  }

  /** The known versions of a type, ascending; empty if the type is not registered. */
  public SortedSet<Integer> versions(String eventType) {
    Map<Integer, Compiled> v = payloads.get(eventType);
    return v == null
        ? Collections.emptySortedSet()
        : Collections.unmodifiableSortedSet(new TreeSet<>(v.keySet()));
  }

  public boolean isKnown(String eventType, int version) {
    Map<Integer, Compiled> v = payloads.get(eventType);
    return v != null && v.containsKey(version);
  }

  /**
   * Validates a whole event against the envelope schema. Returns the errors, sorted; empty if
   * valid.
   */
  public List<SchemaError> validateEnvelope(JsonNode event) {
    return envelope.validate(event, fastPath);
  }

  /**
   * Validates a payload against the schema of (type, version). Returns the errors, sorted; empty if
   * valid.
   *
   * @throws IllegalArgumentException if (type, version) is not registered
   */
  public List<SchemaError> validatePayload(String eventType, int version, JsonNode payload) {
    return payload(eventType, version).validate(payload, fastPath);
  }

  /**
   * The classification of the envelope's properties (the payload is classified by its own schema).
   */
  public ObjectClassification envelopeClassification() {
    return envelope.classification;
  }

  /**
   * The classification of the payload of (type, version).
   *
   * @throws IllegalArgumentException if (type, version) is not registered
   */
  public ObjectClassification payloadClassification(String eventType, int version) {
    return payload(eventType, version).classification;
  }

  /** A copy of the envelope schema document. */
  public JsonNode envelopeSchema() {
    return envelope.document.deepCopy();
  }

  /**
   * A copy of the payload schema document of (type, version).
   *
   * @throws IllegalArgumentException if (type, version) is not registered
   */
  public JsonNode payloadSchema(String eventType, int version) {
    return payload(eventType, version).document.deepCopy();
  }

  private Compiled payload(String eventType, int version) {
    Map<Integer, Compiled> v = payloads.get(eventType);
    Compiled c = v == null ? null : v.get(version);
    if (c == null) {
      throw new IllegalArgumentException("no payload schema for " + eventType + " v" + version);
    }
    return c;
  }

  /**
   * A draft 2020-12 factory whose dialect knows {@code x-privacy} and {@code x-derive} (so they
   * load silently) and rejects any other unknown keyword.
   */
  static JsonSchemaFactory newFactory() {
    JsonMetaSchema dialect =
        JsonMetaSchema.builder(JsonMetaSchema.getV202012())
            .keyword(new NonValidationKeyword(PrivacyClass.KEYWORD))
            .keyword(new NonValidationKeyword(DerivedFact.KEYWORD))
            .unknownKeywordFactory(DisallowUnknownKeywordFactory.getInstance())
            .build();
    return JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012))
        .metaSchema(dialect)
        .build();
  }

  static SchemaValidatorsConfig validatorsConfig() {
    return SchemaValidatorsConfig.builder()
        .pathType(PathType.JSON_POINTER)
        // format stays an annotation (the 2020-12 default): forms that matter are patterns, checked
        // the same everywhere.
        .formatAssertionsEnabled(false)
        .regularExpressionFactory(EcmaRegularExpressionFactory.INSTANCE)
        .build();
  }

  private static Compiled compile(
      JsonSchemaFactory factory, SchemaValidatorsConfig config, ClassLoader loader, String path) {
    JsonNode document = readResource(loader, path);
    if (!"object".equals(document.path("type").asText())) {
      throw new SchemaDefinitionException(
          path + ": the top-level schema must have \"type\": \"object\"");
    }
    ObjectClassification classification = ObjectClassification.fromSchema(document, path);
    JsonSchema schema;
    try {
      schema = factory.getSchema(document, config);
      schema.initializeValidators();
    } catch (RuntimeException e) {
      throw new SchemaDefinitionException(path + ": not a valid schema: " + e.getMessage(), e);
    }
    return new Compiled(document, schema, SubsetSchema.compile(document), classification);
  }

  private static JsonNode readResource(ClassLoader loader, String path) {
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new SchemaDefinitionException("schema resource not found on the classpath: " + path);
      }
      return MAPPER.readTree(in);
    } catch (IOException e) {
      throw new SchemaDefinitionException(
          "cannot read schema resource " + path + ": " + e.getMessage(), e);
    }
  }

  /** One compiled schema with its source document and classification. */
  private static final class Compiled {
    final JsonNode document;
    final JsonSchema schema;
    final SubsetSchema subset;
    final ObjectClassification classification;

    Compiled(
        JsonNode document,
        JsonSchema schema,
        SubsetSchema subset,
        ObjectClassification classification) {
      this.document = document;
      this.schema = schema;
      this.subset = subset;
      this.classification = classification;
    }

    /**
     * The library's errors, sorted. With {@code fastPath}, a document the {@link SubsetSchema}
     * certainly accepts is answered without the library (no errors); any other still goes to it, so
     * the errors are always the library's.
     */
    List<SchemaError> validate(JsonNode instance, boolean fastPath) {
      if (fastPath && subset != null && subset.accepts(instance)) {
        return Collections.emptyList();
      }
      Set<ValidationMessage> messages = schema.validate(instance);
      if (messages.isEmpty()) {
        return Collections.emptyList();
      }
      List<SchemaError> errors = new ArrayList<>(messages.size());
      for (ValidationMessage m : messages) {
        errors.add(describe(m));
      }
      Collections.sort(errors);
      return errors;
    }

    /**
     * Pointer + keyword only: the library's message text may quote the offending value, so it is
     * never used.
     */
    private static SchemaError describe(ValidationMessage m) {
      String pointer = m.getInstanceLocation() == null ? "" : m.getInstanceLocation().toString();
      if (pointer.equals("/")) {
        pointer = "";
      }
      String keyword = m.getType() == null ? "invalid" : m.getType();
      // For "required" the property named is the schema's (a declared name), not the document's, so
      // it is safe.
      if (("required".equals(keyword) || "dependentRequired".equals(keyword))
          && m.getProperty() != null) {
        pointer = pointer + "/" + m.getProperty();
      }
      return new SchemaError(pointer, keyword);
    }
  }
}
