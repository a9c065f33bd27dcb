package io.collabpipeline.runnerconfigs;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.flink.api.common.restartstrategy.RestartStrategies;
import org.apache.flink.configuration.ConfigConstants;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.state.StateBackendLoader;
import org.apache.flink.util.NetUtils;

/**
 * Checks a Flink configuration against the Flink on the classpath (1.19): every key must name a
 * {@link ConfigOption} (its key or one of its fallback/deprecated keys) declared in one of Flink's
 * {@code *Options} classes, and every value must parse to the option's type (durations, memory
 * sizes, enums, numbers, booleans). The state backend, the restart strategy and the TaskManager
 * memory model are then built from the configuration the way Flink builds them, which catches
 * values of string-typed options (state.backend.type, restart-strategy.type) and inconsistent
 * memory settings.
 */
final class FlinkConfigCheck {
  private static final Map<String, ConfigOption<?>> OPTIONS =
      Collections.unmodifiableMap(scanOptions());

  private FlinkConfigCheck() {}

  /** Every Flink option key (and fallback key) found on the classpath. */
  static Map<String, ConfigOption<?>> knownOptions() {
    return OPTIONS;
  }

  /** Loads {@code dir/config.yaml} with Flink's own loader (standard YAML in 1.19). */
  static Configuration load(Path dir) {
    return GlobalConfiguration.loadConfiguration(dir.toString());
  }

  /** The problems of the configuration in {@code dir}, one line each; empty when it is valid. */
  static List<String> problems(Path dir) {
    return problems(load(dir));
  }

  static List<String> problems(Configuration conf) {
    List<String> problems = new ArrayList<>();
    for (String key : new TreeMap<>(conf.toMap()).keySet()) {
      if (key.startsWith(REPORTER_PREFIX)) {
        reporterProblem(key, conf.toMap().get(key)).ifPresent(problems::add);
        continue;
      }
      ConfigOption<?> option = OPTIONS.get(key);
      if (option == null) {
        problems.add(key + ": no such option in Flink " + flinkVersion());
        continue;
      }
      try {
        conf.get(option);
      } catch (RuntimeException e) {
        problems.add(
            key + ": value '" + conf.toMap().get(key) + "' does not parse: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      return problems;
    }
    try {
      RestartStrategies.fromConfiguration(conf);
    } catch (RuntimeException e) {
      problems.add("restart strategy: " + e.getMessage());
    }
    try {
      StateBackendLoader.loadStateBackendFromConfig(
          conf, FlinkConfigCheck.class.getClassLoader(), null);
    } catch (Exception e) {
      problems.add("state backend: " + e.getMessage());
    }
    if (conf.contains(TaskManagerOptions.TOTAL_PROCESS_MEMORY)) {
      try {
        TaskExecutorProcessUtils.processSpecFromConfig(conf);
      } catch (RuntimeException e) {
        problems.add("TaskManager memory: " + e.getMessage());
      }
    }
    return problems;
  }

  private static final String REPORTER_PREFIX = ConfigConstants.METRICS_REPORTER_PREFIX;

  /** The options of a named reporter Flink itself reads ({@code metrics.reporter.<name>.<key>}). */
  private static final Set<String> REPORTER_KEYS =
      Set.of(
          MetricOptions.REPORTER_FACTORY_CLASS.key(),
          MetricOptions.REPORTER_INTERVAL.key(),
          MetricOptions.REPORTER_SCOPE_DELIMITER.key(),
          MetricOptions.REPORTER_EXCLUDED_VARIABLES.key(),
          MetricOptions.REPORTER_ADDITIONAL_VARIABLES.key(),
          MetricOptions.REPORTER_INCLUDES.key(),
          MetricOptions.REPORTER_EXCLUDES.key());

  /**
   * The one reporter the profiles configure, Prometheus's, and the parameters its factory reads
   * besides Flink's own: the port (a port or a range) and label filtering.
   */
  static final String PROMETHEUS_FACTORY =
      "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  private static final Set<String> PROMETHEUS_KEYS = Set.of("port", "filterLabelValueCharacters");

  /**
   * A reporter key ({@code metrics.reporter.<name>.<key>}) is not a {@link ConfigOption} of its
   * own: Flink hands {@code <key>} to the reporter. It must be one Flink reads for every reporter,
   * or one of the Prometheus reporter's parameters; the factory class must load as a {@link
   * MetricReporterFactory} (a misspelt class only logs a warning in Flink and exports nothing).
   */
  private static java.util.Optional<String> reporterProblem(String key, String value) {
    String rest = key.substring(REPORTER_PREFIX.length());
    int dot = rest.indexOf('.');
    if (dot <= 0) {
      return java.util.Optional.of(key + ": not metrics.reporter.<name>.<key>");
    }
    String option = rest.substring(dot + 1);
    if (option.equals(MetricOptions.REPORTER_FACTORY_CLASS.key())) {
      try {
        Class<?> factory = Class.forName(value, false, FlinkConfigCheck.class.getClassLoader());
        if (!MetricReporterFactory.class.isAssignableFrom(factory)) {
          return java.util.Optional.of(key + ": " + value + " is not a MetricReporterFactory");
        }
      } catch (ClassNotFoundException e) {
        return java.util.Optional.of(key + ": no class " + value + " on the classpath");
      }
      return java.util.Optional.empty();
    }
    if (option.equals("port")) {
      try {
        if (!NetUtils.getPortRangeFromString(value).hasNext()) {
          return java.util.Optional.of(key + ": empty port range '" + value + "'");
        }
      } catch (RuntimeException e) {
        return java.util.Optional.of(key + ": value '" + value + "' is not a port or a range");
      }
      return java.util.Optional.empty();
    }
    if (REPORTER_KEYS.contains(option) || PROMETHEUS_KEYS.contains(option)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(key + ": no such reporter option in Flink " + flinkVersion());
  }

  static String flinkVersion() {
    return org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
  }

  /**
   * Collects the ConfigOption constants of every org.apache.flink class named *Options* in the jars
   * on the classpath.
   */
  private static Map<String, ConfigOption<?>> scanOptions() {
    ClassLoader loader = FlinkConfigCheck.class.getClassLoader();
    Map<String, ConfigOption<?>> options = new TreeMap<>();
    for (String className : optionClassNames(loader)) {
      Class<?> type;
      try {
        type = Class.forName(className, false, loader);
      } catch (Throwable e) {
        continue; // a class whose dependencies are not on this classpath declares no option we can
        // use
      }
      Field[] fields;
      try {
        fields = type.getFields();
      } catch (Throwable e) {
        continue;
      }
      for (Field field : fields) {
        if (!Modifier.isStatic(field.getModifiers())
            || !ConfigOption.class.isAssignableFrom(field.getType())) {
          continue;
        }
        try {
          ConfigOption<?> option = (ConfigOption<?>) field.get(null);
          options.putIfAbsent(option.key(), option);
          for (FallbackKey fallback : option.fallbackKeys()) {
            options.putIfAbsent(fallback.getKey(), option);
          }
        } catch (Throwable e) {
          // static initialisation failed: the class is unusable here
        }
      }
    }
    return options;
  }

  private static Set<String> optionClassNames(ClassLoader loader) {
    Set<String> names = new HashSet<>();
    try {
      Enumeration<URL> manifests = loader.getResources("META-INF/MANIFEST.MF");
      while (manifests.hasMoreElements()) {
        URLConnection connection = manifests.nextElement().openConnection();
        if (!(connection instanceof JarURLConnection)) {
          continue;
        }
        JarFile jar = ((JarURLConnection) connection).getJarFile();
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
          String name = entries.nextElement().getName();
          String simple = name.substring(name.lastIndexOf('/') + 1);
          if (name.startsWith("org/apache/flink/")
              && name.endsWith(".class")
              && simple.contains("Options")) {
            names.add(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the classpath's jars", e);
    }
    return names;
  }
}
