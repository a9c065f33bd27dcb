package io.collabpipeline.tools.sql;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@code bin/collab-sql}: usage on request, one-line errors with exit 2, and a query's rows. */
@RunWith(JUnit4.class)
public class CollabSqlTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return CollabSql.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  public void helpPrintsTheUsageAndSucceeds() {
    assertThat(run("--help"), equalTo(0));
    assertThat(out.toString(StandardCharsets.UTF_8), startsWith("usage: collab-sql [--db=FILE]"));
    assertThat(err.toString(StandardCharsets.UTF_8), equalTo(""));
  }

  @Test
  public void mistakesAreOneLineWithExitTwo() {
    assertThat(run("--database=x", "SELECT 1"), equalTo(2));
    assertThat(run("SELECT", "1"), equalTo(2));
    assertThat(run(), equalTo(2));
    assertThat(run("--db=" + tmp.getRoot() + "/none.duckdb", "SELECT 1"), equalTo(2));
    String[] lines = err.toString(StandardCharsets.UTF_8).split(System.lineSeparator());
    assertThat(lines.length, equalTo(4));
    assertThat(
        lines[0],
        equalTo("collab-sql: unknown option --database=x (usage: collab-sql [--db=FILE] \"SQL\")"));
    assertThat(lines[1], containsString("give the SQL as one quoted argument"));
    assertThat(lines[2], containsString("no SQL given"));
    assertThat(lines[3], containsString("no warehouse at " + tmp.getRoot() + "/none.duckdb"));
  }
}
