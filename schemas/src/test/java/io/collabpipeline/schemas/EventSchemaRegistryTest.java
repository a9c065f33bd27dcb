package io.collabpipeline.schemas;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasEntry;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The registry answers registration, validation and classification questions without echoing
 * document values.
 */
@RunWith(JUnit4.class)
public class EventSchemaRegistryTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TESTING = EventSchemaRegistry.DEFAULT_BASE + "/testing/contracts/";

  private final EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();

  private static ObjectNode validEvent() throws Exception {
    return (ObjectNode)
        MAPPER.readTree(
            "{\"event_id\":\"evt_000000001\",\"event_type\":\"comment.added\",\"schema_version\":1,"
                + "\"occurred_at\":\"2026-11-02T08:00:01.123Z\",\"workspace_gid\":\"100\","
                + "\"actor\":{\"user_gid\":\"42\",\"email\":\"ann@example.com\",\"name\":\"Ann Example\"},"
                + "\"source\":{\"platform\":\"web\",\"service\":\"api\",\"app_version\":\"1.2\"},"
                + "\"resource\":{\"type\":\"comment\",\"gid\":\"9\"},"
                + "\"payload\":{\"task_gid\":\"7\",\"text\":\"hello\",\"mentioned_user_gids\":[\"43\"]},"
                + "\"context\":{\"ip\":\"10.1.2.3\",\"user_agent\":\"UA/1\",\"session_id\":\"s1\"}}");
  }

  @Test
  public void defaultRegistryIsLoadedOnceAndShared() {
    assertThat(EventSchemaRegistry.loadDefault(), sameInstance(registry));
  }

  @Test
  public void answersRegistrationQuestions() {
    assertThat(registry.isRegistered("task.updated"), equalTo(true));
    assertThat(registry.isRegistered("task.renamed"), equalTo(false));
    assertThat(registry.isKnown("task.updated", 2), equalTo(true));
    assertThat(registry.isKnown("task.created", 2), equalTo(false));
    assertThat(registry.versions("task.renamed"), empty());
    assertThrows(
        IllegalArgumentException.class,
        () -> registry.validatePayload("task.created", 9, MAPPER.createObjectNode()));
  }

  @Test
  public void validEnvelopeAndPayloadHaveNoErrors() throws Exception {
    ObjectNode event = validEvent();
    assertThat(registry.validateEnvelope(event), empty());
    assertThat(registry.validatePayload("comment.added", 1, event.get("payload")), empty());
  }

  @Test
  public void unknownPropertiesAreAllowedEverywhere() throws Exception {
    ObjectNode event = validEvent();
    event.put("future_field", 1);
    ((ObjectNode) event.get("actor")).put("locale", "en");
    ((ObjectNode) event.get("payload")).put("reaction", "+1");
    assertThat(registry.validateEnvelope(event), empty());
    assertThat(registry.validatePayload("comment.added", 1, event.get("payload")), empty());
  }

  @Test
  public void missingRequiredNestedFieldIsNamedByPointerAndKeyword() throws Exception {
    ObjectNode event = validEvent();
    ((ObjectNode) event.get("actor")).remove("user_gid");
    List<SchemaError> errors = registry.validateEnvelope(event);
    assertThat(errors, contains(new SchemaError("/actor/user_gid", "required")));
    assertThat(errors.get(0).toString(), equalTo("/actor/user_gid: required"));
  }

  @Test
  public void errorDescriptionsNeverContainTheValue() throws Exception {
    ObjectNode event = validEvent();
    event.put("workspace_gid", "ann@example.com");
    ((ObjectNode) event.get("source")).put("platform", "Ann Example's phone");
    List<SchemaError> errors = registry.validateEnvelope(event);
    assertThat(
        errors,
        contains(
            new SchemaError("/source/platform", "enum"),
            new SchemaError("/workspace_gid", "pattern")));
    assertThat(errors.toString(), not(containsString("ann@example.com")));
    assertThat(errors.toString(), not(containsString("Ann Example")));
  }

  @Test
  public void patternDollarMatchesOnlyAtTheEndOfInput() throws Exception {
    ObjectNode event = validEvent();
    event.put("workspace_gid", "100\n");
    assertThat(
        registry.validateEnvelope(event), contains(new SchemaError("/workspace_gid", "pattern")));
    assertThat(EcmaRegularExpressionFactory.toJava("^[0-9]{1,20}$"), equalTo("^[0-9]{1,20}\\z"));
    assertThat(EcmaRegularExpressionFactory.toJava("^a\\$[$]$"), equalTo("^a\\$[$]\\z"));
  }

  @Test
  public void payloadErrorsCarryArrayIndexes() throws Exception {
    JsonNode payload =
        MAPPER.readTree(
            "{\"task_gid\":\"7\",\"text\":\"x\",\"mentioned_user_gids\":[\"1\",\"bob\"]}");
    assertThat(
        registry.validatePayload("comment.added", 1, payload),
        contains(new SchemaError("/mentioned_user_gids/1", "pattern")));
  }

  @Test
  public void envelopeClassificationMarksPersonalData() {
    assertThat(
        registry.envelopeClassification().flatten(),
        hasEntry("/actor/user_gid", PrivacyClass.IDENTIFIER));
    assertThat(
        registry.envelopeClassification().flatten(),
        hasEntry("/actor/email", PrivacyClass.DIRECT_PII));
    assertThat(
        registry.envelopeClassification().flatten(),
        hasEntry("/actor/name", PrivacyClass.DIRECT_PII));
    assertThat(
        registry.envelopeClassification().flatten(),
        hasEntry("/context/ip", PrivacyClass.DIRECT_PII));
    assertThat(
        registry.envelopeClassification().flatten(),
        hasEntry("/context/user_agent", PrivacyClass.DIRECT_PII));
    assertThat(
        registry.envelopeClassification().flatten(), hasEntry("/event_id", PrivacyClass.NONE));
  }

  @Test
  public void payloadClassificationCarriesDerivedFacts() {
    ObjectClassification c = registry.payloadClassification("comment.added", 1);
    assertThat(c.field("text").privacyClass(), equalTo(PrivacyClass.FREE_TEXT));
    assertThat(c.field("text").derivedFacts(), contains(DerivedFact.LENGTH));
    assertThat(c.field("mentioned_user_gids").privacyClass(), equalTo(PrivacyClass.IDENTIFIER));
    assertThat(c.field("mentioned_user_gids").isArray(), equalTo(true));
    assertThat(c.field("task_gid").privacyClass(), equalTo(PrivacyClass.NONE));
    assertThat(c.field("unknown"), nullValue());
    assertThat(
        registry
            .payloadClassification("notification.sent", 1)
            .field("recipient_user_gid")
            .privacyClass(),
        equalTo(PrivacyClass.IDENTIFIER));
  }

  @Test
  public void aWellFormedCustomContractLoads() {
    EventSchemaRegistry custom =
        EventSchemaRegistry.load(getClass().getClassLoader(), TESTING + "valid");
    assertThat(custom.eventTypes(), contains("x.happened"));
  }

  @Test
  public void anUnclassifiedPropertyFailsTheLoadNamingIt() {
    SchemaDefinitionException e =
        assertThrows(
            SchemaDefinitionException.class,
            () -> EventSchemaRegistry.load(getClass().getClassLoader(), TESTING + "unclassified"));
    assertThat(e.getMessage(), containsString("/properties/secret has no x-privacy"));
  }

  @Test
  public void anUnclassifiedNestedPropertyFailsTheLoad() {
    SchemaDefinitionException e =
        assertThrows(
            SchemaDefinitionException.class,
            () ->
                EventSchemaRegistry.load(
                    getClass().getClassLoader(), TESTING + "unclassified_nested"));
    assertThat(e.getMessage(), containsString("/properties/who/properties/mail has no x-privacy"));
  }

  @Test
  public void anInvalidPrivacyValueFailsTheLoad() {
    SchemaDefinitionException e =
        assertThrows(
            SchemaDefinitionException.class,
            () ->
                EventSchemaRegistry.load(
                    getClass().getClassLoader(), TESTING + "bad_privacy_value"));
    assertThat(e.getMessage(), containsString("unknown x-privacy value 'public'"));
  }

  /**
   * Unknown keywords are errors, not warnings; the shipped contract loading at all proves
   * x-privacy/x-derive are declared.
   */
  @Test
  public void aMisspeltKeywordFailsTheLoad() {
    SchemaDefinitionException e =
        assertThrows(
            SchemaDefinitionException.class,
            () ->
                EventSchemaRegistry.load(
                    getClass().getClassLoader(), TESTING + "misspelt_keyword"));
    assertThat(e.getMessage(), containsString("x-privcy"));
  }

  @Test
  public void aMissingIndexIsReportedByPath() {
    SchemaDefinitionException e =
        assertThrows(
            SchemaDefinitionException.class,
            () -> EventSchemaRegistry.load(getClass().getClassLoader(), TESTING + "nope"));
    assertThat(e.getMessage(), containsString(TESTING + "nope/index.json"));
  }
}
