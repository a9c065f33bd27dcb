package io.collabpipeline.tools.erasure;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The erasure's list of user-level tables is the dbt project's: every model materialized as a table
 * (or incremental) with a column flagged {@code meta: {pii: pseudonymized}} in its yml, with that
 * column. A new user-level model that is not added to {@link UserLevelTables#TABLES} fails this
 * test.
 */
public class UserLevelTablesTest {
  private static final Pattern MATERIALIZED =
      Pattern.compile("materialized\\s*=\\s*['\"](\\w+)['\"]");

  @Test
  public void theListIsEveryDbtTableWithAPseudonymizedUserColumn() throws Exception {
    Path models = Paths.get("..", "dbt", "models");
    Map<String, String> fromDbt = new TreeMap<>();
    List<Path> ymls;
    try (Stream<Path> files = Files.walk(models)) {
      ymls = files.filter(p -> p.toString().endsWith(".yml")).collect(Collectors.toList());
    }
    for (Path yml : ymls) {
      Map<String, Object> doc;
      try (Reader in = Files.newBufferedReader(yml)) {
        doc = new Yaml().load(in);
      }
      Object list = doc == null ? null : doc.get("models");
      if (!(list instanceof List)) {
        continue;
      }
      for (Object m : (List<?>) list) {
        Map<?, ?> model = (Map<?, ?>) m;
        String name = (String) model.get("name");
        Object columns = model.get("columns");
        if (columns == null || !isTable(models, name, model)) {
          continue;
        }
        for (Object c : (List<?>) columns) {
          Map<?, ?> column = (Map<?, ?>) c;
          if ("pseudonymized".equals(pii(column))) {
            fromDbt.put(name, (String) column.get("name"));
          }
        }
      }
    }
    assertThat(fromDbt.isEmpty(), is(false));
    assertThat(new TreeMap<>(UserLevelTables.TABLES), is(fromDbt));
  }

  private static Object pii(Map<?, ?> column) {
    for (Object holder : new Object[] {column, column.get("config")}) {
      if (holder instanceof Map && ((Map<?, ?>) holder).get("meta") instanceof Map) {
        Object pii = ((Map<?, ?>) ((Map<?, ?>) holder).get("meta")).get("pii");
        if (pii != null) {
          return pii;
        }
      }
    }
    return null;
  }

  /**
   * Whether the model is materialized with rows of its own: its yml config, else its SQL's config
   * block, else its folder's default in dbt_project.yml (marts tables, staging and intermediate
   * views).
   */
  private static boolean isTable(Path models, String name, Map<?, ?> model) throws Exception {
    String materialized = null;
    if (model.get("config") instanceof Map) {
      materialized = (String) ((Map<?, ?>) model.get("config")).get("materialized");
    }
    Path sql;
    try (Stream<Path> files = Files.walk(models)) {
      sql =
          files
              .filter(p -> p.getFileName().toString().equals(name + ".sql"))
              .findFirst()
              .orElse(null);
    }
    if (materialized == null && sql != null) {
      Matcher m = MATERIALIZED.matcher(Files.readString(sql));
      if (m.find()) {
        materialized = m.group(1);
      }
    }
    if (materialized == null && sql != null) {
      materialized =
          models.relativize(sql).getName(0).toString().equals("marts") ? "table" : "view";
    }
    return "table".equals(materialized) || "incremental".equals(materialized);
  }
}
