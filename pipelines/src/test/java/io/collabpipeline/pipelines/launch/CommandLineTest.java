package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.KafkaOptions;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link CommandLine#parse}: Beam's messages for an option that does not exist, in each of its
 * three forms (taken from Beam 2.70's {@code PipelineOptionsFactory}), become one line that names
 * the option and how to list the command's options; other mistakes keep Beam's message.
 */
@RunWith(JUnit4.class)
public class CommandLineTest {

  /** A command's options as a nested interface, like the publisher's and the receiver's. */
  public interface NestedOptions extends PipelineOptions {
    @Description("a number")
    Integer getCount();

    void setCount(Integer value);

    @Description("a required name")
    @Validation.Required
    String getName();

    void setName(String value);
  }

  @Test
  public void anOptionWithoutSuggestions() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> CommandLine.parse(new String[] {"--nothingLikeIt=1"}, KafkaOptions.class));
    assertThat(
        e.getMessage(),
        equalTo(
            "--nothingLikeIt is not an option (see --help=" + KafkaOptions.class.getName() + ")"));
  }

  @Test
  public void oneSuggestionFromBeamsOwnMessage() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> CommandLine.parse(new String[] {"--kafkaGroupID=g"}, KafkaOptions.class));
    assertThat(
        e.getMessage(),
        equalTo(
            "--kafkaGroupID is not an option: did you mean --kafkaGroupId? (see --help="
                + KafkaOptions.class.getName()
                + ")"));
  }

  @Test
  public void severalSuggestionsAndANestedInterfacesFullName() {
    assertThat(
        CommandLine.unknownOption(
            "Class interface x.Y$NestedOptions missing a property named 'cont'. Did you mean one"
                + " of [count, counts]?",
            NestedOptions.class),
        equalTo(
            "--cont is not an option: did you mean --count or --counts? (see --help='"
                + NestedOptions.class.getName()
                + "')"));
  }

  @Test
  public void otherMessagesAreNotRewritten() {
    assertThat(
        CommandLine.unknownOption("Argument 'x' does not begin with '--'", KafkaOptions.class),
        nullValue());
    assertThat(CommandLine.unknownOption(null, KafkaOptions.class), nullValue());
    // A missing required option keeps Beam's own exception and message (a UsageException is not
    // an IllegalArgumentException).
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CommandLine.parse(new String[] {"--count=3"}, NestedOptions.class));
    assertThat(e.getMessage(), containsString("--name"));
  }

  @Test
  public void aValueOfTheWrongTypeNamesTheOptionOfTheCommandsOwnInterface() {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> CommandLine.parse(new String[] {"--count=abc", "--name=n"}, NestedOptions.class));
    assertThat(e.getMessage(), equalTo("--count=abc must be a whole number"));
    assertThat(
        CommandLine.parse(new String[] {"--count=3", "--name=n"}, NestedOptions.class).getCount(),
        equalTo(3));
  }
}
