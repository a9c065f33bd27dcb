package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Parses Beam-style {@code --name=value} arguments into {@link CollabPipelineOptions}, with
 * one-line messages that name the option at fault; the runner defaults to the embedded Flink
 * runner.
 */
public final class CommandLine {
  private CommandLine() {}

  /**
   * Parses {@code args}; throws {@link UsageException} or {@link IllegalArgumentException} with a
   * one-line message.
   */
  public static CollabPipelineOptions parseOptions(String[] args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    for (String a : args) {
      if (!a.startsWith("--")) {
        throw new UsageException(
            "unexpected argument '" + a + "': options are written --name=value");
      }
    }
    if (all.stream().noneMatch(a -> a.startsWith("--runner="))) {
      all.add("--runner=FlinkRunner");
    }
    boolean flink = all.stream().anyMatch(a -> a.equalsIgnoreCase("--runner=FlinkRunner"));
    if (flink && all.stream().noneMatch(a -> a.startsWith("--objectReuse"))) {
      // Our DoFns never mutate their inputs, so Flink may hand objects between chained operators
      // without a copy.
      all.add("--objectReuse=true");
    }
    if (flink && all.stream().noneMatch(a -> a.startsWith("--maxBundleSize"))) {
      // Bundles of at most 250 records, and at most 1 s: the runner hands a step's watermark on at
      // once only when a bundle ends at its count, so the count must come first at any steady rate
      // (EmbeddedFlink.MAX_BUNDLE_MILLIS says what other settings did to the dedup).
      all.add("--maxBundleSize=" + EmbeddedFlink.MAX_BUNDLE_SIZE);
    }
    if (flink && all.stream().noneMatch(a -> a.startsWith("--maxBundleTimeMills"))) {
      all.add("--maxBundleTimeMills=" + EmbeddedFlink.MAX_BUNDLE_MILLIS);
    }
    // Not --fasterCopy: it also turns off the copy the heap state backend makes of a state value
    // that is changed while an asynchronous checkpoint runs, and the runner's combining state
    // changes its accumulators in place, so a checkpoint could hold counts of elements read after
    // its barrier, counted again after a restore (JobConfig refuses it for streaming jobs).
    // Registered, so that --help=CollabPipelineOptions (its simple name) lists the options.
    PipelineOptionsFactory.register(CollabPipelineOptions.class);
    return parse(all.toArray(new String[0]), CollabPipelineOptions.class);
  }

  /** Beam's message for an option that no interface of the command has. */
  private static final Pattern UNKNOWN_OPTION =
      Pattern.compile(
          "Class interface \\S+ missing a property named '([^']*)'\\.(?: Did you mean (.*))?");

  private static final Pattern QUOTED_NAME = Pattern.compile("'([^']+)'|\\[([^\\]]+)\\]");

  /**
   * Parses {@code args} into {@code type} with Beam's parser (and its validation of required
   * options), after checking the values of its numeric and boolean options. An option {@code type}
   * does not have is a {@link UsageException} in this project's words: {@code --kafkaTopic is not
   * an option: did you mean --kafkaTopics? (see --help=...)}, where Beam's own message names the
   * Java interface; any other mistake is Beam's {@link IllegalArgumentException}. (Commands that
   * take options of their own besides the pipeline's, such as {@code collab-erasure}, document
   * those in the README.)
   *
   * <p>{@code type} is not registered with Beam: Beam checks every registered interface against the
   * others, and two commands' interfaces may give one option different defaults (the exporter's and
   * the canary's {@code --port}), which fails once both are registered in one JVM.
   */
  public static <T extends PipelineOptions> T parse(String[] args, Class<T> type) {
    checkValueTypes(args, type);
    try {
      return PipelineOptionsFactory.fromArgs(args).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      String unknown = unknownOption(e.getMessage(), type);
      if (unknown != null) {
        throw new UsageException(unknown);
      }
      throw e;
    }
  }

  /**
   * The one line for Beam's message that an option does not exist, naming the option, Beam's
   * suggestions and how to list the options of {@code type}; null for any other message.
   */
  static String unknownOption(String beamMessage, Class<?> type) {
    Matcher m = UNKNOWN_OPTION.matcher(firstLine(beamMessage));
    if (!m.lookingAt()) {
      return null;
    }
    StringBuilder line = new StringBuilder("--").append(m.group(1)).append(" is not an option");
    if (m.group(2) != null) {
      List<String> suggestions = new ArrayList<>();
      Matcher q = QUOTED_NAME.matcher(m.group(2));
      while (q.find()) {
        String names = q.group(1) != null ? q.group(1) : q.group(2);
        for (String name : names.split(",")) {
          if (!name.isBlank()) {
            suggestions.add("--" + name.trim());
          }
        }
      }
      if (!suggestions.isEmpty()) {
        line.append(": did you mean ").append(String.join(" or ", suggestions)).append('?');
      }
    }
    // Beam's --help takes a registered interface's simple name, or any interface's full name.
    String help =
        PipelineOptionsFactory.getRegisteredOptions().contains(type)
            ? type.getSimpleName()
            : type.getName();
    if (help.indexOf('$') >= 0) {
      help = "'" + help + "'"; // for the shell
    }
    return line.append(" (see --help=").append(help).append(")").toString();
  }

  /**
   * Checks the values of {@code type}'s numeric and boolean options before Beam parses them, so
   * that a wrong value gets a message naming the option (Beam's own names only the Java type).
   */
  private static void checkValueTypes(String[] args, Class<? extends PipelineOptions> type) {
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String name = a.substring(2, eq);
      String value = a.substring(eq + 1);
      Class<?> valueType = optionType(name, type);
      try {
        if (valueType == Long.class || valueType == long.class) {
          Long.parseLong(value);
        } else if (valueType == Integer.class || valueType == int.class) {
          Integer.parseInt(value);
        } else if (valueType == Double.class || valueType == double.class) {
          Double.parseDouble(value);
        } else if ((valueType == Boolean.class || valueType == boolean.class)
            && !value.equalsIgnoreCase("true")
            && !value.equalsIgnoreCase("false")) {
          throw new UsageException("--" + name + "=" + value + " must be true or false");
        }
      } catch (NumberFormatException e) {
        throw new UsageException(
            "--"
                + name
                + "="
                + value
                + " must be a "
                + (valueType == Double.class || valueType == double.class
                    ? "number, e.g. 0.05"
                    : "whole number"));
      }
    }
  }

  private static Class<?> optionType(String name, Class<?> type) {
    if (name.isEmpty()) {
      return String.class;
    }
    String getter = "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    String is = "is" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (Method m : type.getMethods()) {
      if (m.getParameterCount() == 0 && (m.getName().equals(getter) || m.getName().equals(is))) {
        return m.getReturnType();
      }
    }
    return String.class;
  }

  /** The innermost cause's class and message: what a one-line failure message shows. */
  public static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** The first line of a message, trimmed. */
  public static String firstLine(String message) {
    if (message == null) {
      return "invalid arguments";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).trim();
  }
}
