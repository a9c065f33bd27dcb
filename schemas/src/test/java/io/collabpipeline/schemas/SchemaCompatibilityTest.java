package io.collabpipeline.schemas;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.schemas.SchemaCompatibility.Kind;
import io.collabpipeline.schemas.SchemaCompatibility.Violation;
import java.io.InputStream;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Each deliberately breaking schema pair under testing/compat is reported with its kind and
 * location.
 */
@RunWith(JUnit4.class)
public class SchemaCompatibilityTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static List<Violation> check(String pair) throws Exception {
    return SchemaCompatibility.check(read(pair + "/old.json"), read(pair + "/new.json"));
  }

  private static JsonNode read(String path) throws Exception {
    try (InputStream in =
        SchemaCompatibilityTest.class.getResourceAsStream(
            "/io/collabpipeline/schemas/testing/compat/" + path)) {
      return MAPPER.readTree(in);
    }
  }

  private static void assertOnly(String pair, Kind kind, String pointer) throws Exception {
    List<Violation> v = check(pair);
    assertThat(
        pair + " -> " + v,
        v.stream().map(Violation::kind).collect(Collectors.toList()),
        contains(kind));
    assertThat(v.get(0).pointer(), equalTo(pointer));
  }

  @Test
  public void removedFieldIsReported() throws Exception {
    assertOnly("field_removed", Kind.FIELD_REMOVED, "/properties/role");
  }

  @Test
  public void changedTypeIsReported() throws Exception {
    assertOnly("type_changed", Kind.TYPE_CHANGED, "/properties/task_gid/type");
  }

  @Test
  public void narrowedTypeIsReported() throws Exception {
    assertOnly("type_narrowed", Kind.TYPE_CHANGED, "/properties/due_on/type");
  }

  @Test
  public void changedItemTypeIsReported() throws Exception {
    assertOnly("item_type_changed", Kind.TYPE_CHANGED, "/properties/tags/items/type");
  }

  @Test
  public void changedFormatIsReported() throws Exception {
    assertOnly("format_changed", Kind.FORMAT_CHANGED, "/properties/due_on/format");
  }

  @Test
  public void changedPatternIsReported() throws Exception {
    assertOnly("pattern_changed", Kind.PATTERN_CHANGED, "/properties/task_gid/pattern");
  }

  @Test
  public void removedEnumValueIsReported() throws Exception {
    assertOnly("enum_value_removed", Kind.ENUM_VALUE_REMOVED, "/properties/role/enum");
    assertThat(
        check("enum_value_removed").get(0).message(), equalTo("enum value \"viewer\" was removed"));
  }

  @Test
  public void narrowedBoundIsReported() throws Exception {
    assertOnly("constraint_narrowed", Kind.CONSTRAINT_NARROWED, "/properties/note/maxLength");
  }

  @Test
  public void relaxedPrivacyOfNestedFieldIsReported() throws Exception {
    assertOnly(
        "privacy_relaxed", Kind.PRIVACY_RELAXED, "/properties/owner/properties/email/x-privacy");
  }

  @Test
  public void addedDerivedFactIsAPrivacyRelaxation() throws Exception {
    assertOnly("derived_fact_added", Kind.PRIVACY_RELAXED, "/properties/tags/x-derive");
  }

  @Test
  public void newlyRequiredFieldWithoutDefaultIsReported() throws Exception {
    assertOnly("newly_required", Kind.NEWLY_REQUIRED_WITHOUT_DEFAULT, "/required");
  }

  @Test
  public void closedAdditionalPropertiesIsReported() throws Exception {
    assertOnly(
        "additional_properties_closed", Kind.ADDITIONAL_PROPERTIES_CLOSED, "/additionalProperties");
  }

  @Test
  public void optionalAdditionsWiderBoundsAndStricterPrivacyAreCompatible() throws Exception {
    assertThat(check("compatible_additions"), empty());
  }

  @Test
  public void newlyRequiredFieldWithDefaultIsCompatible() throws Exception {
    assertThat(check("required_with_default"), empty());
  }

  @Test
  public void aSchemaIsCompatibleWithItself() throws Exception {
    assertThat(
        SchemaCompatibility.check(read("field_removed/old.json"), read("field_removed/old.json")),
        empty());
  }

  @Test
  public void everyViolationIsFoundInOneComparison() throws Exception {
    JsonNode old = read("field_removed/old.json");
    JsonNode broken = read("field_removed/new.json").deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) broken).put("additionalProperties", false);
    List<Kind> kinds =
        SchemaCompatibility.check(old, broken).stream()
            .map(Violation::kind)
            .collect(Collectors.toList());
    assertThat(kinds, hasItem(Kind.FIELD_REMOVED));
    assertThat(kinds, hasItem(Kind.ADDITIONAL_PROPERTIES_CLOSED));
  }
}
