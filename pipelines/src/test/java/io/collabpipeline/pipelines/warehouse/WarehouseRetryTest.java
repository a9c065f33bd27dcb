package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.Assert.assertThrows;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

/** {@link WarehouseRetry}: which errors are retried, how long it waits, and when it gives up. */
public class WarehouseRetryTest {
  private final List<Long> slept = new ArrayList<>();
  private final List<Integer> retried = new ArrayList<>();

  private void run(WarehouseRetry retry, WarehouseRetry.Attempt attempt) throws SQLException {
    retry.run("upserting 3 rows", attempt, (n, e, wait) -> retried.add(n), slept::add);
  }

  private static WarehouseRetry.Attempt failingTimes(
      int failures, String sqlState, AtomicInteger calls) {
    return () -> {
      if (calls.incrementAndGet() <= failures) {
        throw new SQLException("Connection to 127.0.0.1:5432 refused", sqlState);
      }
    };
  }

  @Test
  public void theDefaultWaits1_2_4_8_16SecondsThatIs31SecondsInSixAttempts() {
    WarehouseRetry retry = WarehouseRetry.defaults();
    assertThat(retry.maxAttempts, is(6));
    assertThat(retry.backoffs(), equalTo(List.of(1_000L, 2_000L, 4_000L, 8_000L, 16_000L)));
    assertThat(retry.toleratedMillis(), is(31_000L));
    // Capped at the maximum once reached.
    assertThat(
        new WarehouseRetry(6, 1_000, 3_000).backoffs(),
        equalTo(List.of(1_000L, 2_000L, 3_000L, 3_000L, 3_000L)));
  }

  @Test
  public void aWarehouseThatComesBackIsWrittenAfterTheRetriesWithGrowingWaits() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    run(WarehouseRetry.defaults(), failingTimes(3, "08001", calls));
    assertThat(calls.get(), is(4));
    assertThat(retried, equalTo(List.of(1, 2, 3)));
    assertThat(slept, equalTo(List.of(1_000L, 2_000L, 4_000L)));
  }

  @Test
  public void aWarehouseThatStaysDownFailsAfterTheLastAttemptWithEveryErrorKept() {
    AtomicInteger calls = new AtomicInteger();
    SQLException e =
        assertThrows(
            SQLException.class,
            () -> run(new WarehouseRetry(4, 100, 1_000), failingTimes(100, "08006", calls)));
    assertThat(calls.get(), is(4));
    assertThat(slept, equalTo(List.of(100L, 200L, 400L)));
    assertThat(e.getMessage(), containsString("upserting 3 rows failed 4 times over 700 ms"));
    assertThat(e.getSQLState(), equalTo("08006"));
    assertThat(e.getSuppressed().length, is(3));
  }

  @Test
  public void aBugIsNotRetried() {
    AtomicInteger calls = new AtomicInteger();
    SQLException bug = new SQLException("duplicate key value violates unique constraint", "23505");
    SQLException e =
        assertThrows(
            SQLException.class,
            () ->
                run(
                    WarehouseRetry.defaults(),
                    () -> {
                      calls.incrementAndGet();
                      throw bug;
                    }));
    assertThat(e, sameInstance(bug));
    assertThat(calls.get(), is(1));
    assertThat(slept, empty());
    assertThat(retried, empty());
  }

  @Test
  public void oneAttemptMeansNoRetry() {
    AtomicInteger calls = new AtomicInteger();
    assertThrows(
        SQLException.class,
        () -> run(new WarehouseRetry(1, 1_000, 1_000), failingTimes(1, "08001", calls)));
    assertThat(calls.get(), is(1));
    assertThat(slept, empty());
  }

  @Test
  public void transientErrorsAreThoseAboutReachingTheWarehouseOrLosingAConflict() {
    for (String state :
        List.of("08001", "08006", "08003", "57P01", "57P03", "53300", "40001", "40P01")) {
      assertThat(state, WarehouseRetry.isTransient(new SQLException("x", state)), is(true));
    }
    for (String state : List.of("23505", "42601", "42P01", "22003")) {
      assertThat(state, WarehouseRetry.isTransient(new SQLException("x", state)), is(false));
    }
    assertThat(WarehouseRetry.isTransient(new SQLException("no state")), is(false));
    assertThat(WarehouseRetry.isTransient(new SQLTransientConnectionException("x")), is(true));
    assertThat(
        WarehouseRetry.isTransient(
            new SQLException("I/O error", null, new ConnectException("Connection refused"))),
        is(true));
  }
}
