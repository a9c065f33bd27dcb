package io.collabpipeline.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The accumulator's item table against a {@link HashMap} oracle: the same adds, in the same order,
 * must leave the same multiset, whatever the table's growth, probing and hash collisions.
 */
@RunWith(JUnit4.class)
public class MetricAccumulatorTest {

  /** Random ids from a small alphabet, so many repeat; a fifth are added as a string's tail. */
  @Test
  public void randomAddsAgreeWithAHashMap() {
    Random random = new Random(20261203L);
    for (int round = 0; round < 50; round++) {
      MetricAccumulator acc = new MetricAccumulator();
      Map<String, Long> oracle = new HashMap<>();
      int adds = 1 + random.nextInt(5_000);
      int alphabet = 1 + random.nextInt(3_000);
      for (int i = 0; i < adds; i++) {
        String id = "u" + random.nextInt(alphabet);
        long n = 1 + random.nextInt(3);
        if (random.nextInt(5) == 0) {
          String prefix = "x".repeat(1 + random.nextInt(3));
          acc.addItem(prefix + id, prefix.length(), n);
        } else {
          acc.addItem(id, n);
        }
        oracle.merge(id, n, Long::sum);
      }
      assertThat(acc.items(), equalTo(new TreeMap<>(oracle)));
      assertThat(acc.distinctItems(), equalTo((long) oracle.size()));
      assertThat(
          acc.maxItemCount(),
          equalTo(oracle.values().stream().mapToLong(Long::longValue).max().orElse(0)));
    }
  }

  /** "Aa" and "BB" share a String hash code, as do their concatenations: they must stay apart. */
  @Test
  public void idsWithTheSameHashCodeStayDistinct() {
    assertThat("Aa".hashCode(), equalTo("BB".hashCode()));
    MetricAccumulator acc = new MetricAccumulator();
    Map<String, Long> oracle = new HashMap<>();
    String[] parts = {"Aa", "BB"};
    for (int bits = 0; bits < 64; bits++) {
      StringBuilder id = new StringBuilder();
      for (int k = 0; k < 6; k++) {
        id.append(parts[(bits >> k) & 1]);
      }
      acc.addItem(id.toString(), bits + 1);
      acc.addItem("#" + id, 1, 1);
      oracle.merge(id.toString(), bits + 2L, Long::sum);
    }
    assertThat(acc.items(), equalTo(new TreeMap<>(oracle)));
    assertThat(acc.distinctItems(), equalTo(64L));
  }

  /** A tail of length zero is the empty id; a tail start outside the string is refused. */
  @Test
  public void theTailOfAStringIsTheItem() {
    MetricAccumulator acc = new MetricAccumulator();
    acc.addItem("1", 1, 1).addItem("", 2).addItem("0task", 1, 1).addItem("task", 1);
    assertThat(acc.items(), equalTo(Map.of("", 3L, "task", 2L)));
    assertThrows(IndexOutOfBoundsException.class, () -> acc.addItem("ab", 3, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> acc.addItem("ab", -1, 1));
  }

  @Test
  public void mergingAddsTheCountersAndTheItems() {
    Random random = new Random(7L);
    MetricAccumulator a = new MetricAccumulator().addCount(5).addCompleted(2);
    MetricAccumulator b = new MetricAccumulator(3).addCount(7).addCompleted(1);
    Map<String, Long> oracle = new HashMap<>();
    for (int i = 0; i < 2_000; i++) {
      String id = "t" + random.nextInt(900);
      MetricAccumulator target = random.nextBoolean() ? a : b;
      target.addItem(id, 1);
      oracle.merge(id, 1L, Long::sum);
    }
    a.mergeFrom(b);
    assertThat(a.count(), equalTo(12L));
    assertThat(a.completed(), equalTo(3L));
    assertThat(a.items(), equalTo(new TreeMap<>(oracle)));
  }

  /** Equal multisets built in other orders, with other starting sizes, are equal and hash alike. */
  @Test
  public void equalityIgnoresOrderAndCapacity() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      ids.add("w" + (i % 120));
    }
    MetricAccumulator forward = new MetricAccumulator().addCount(300);
    for (String id : ids) {
      forward.addItem(id, 1);
    }
    MetricAccumulator backward = new MetricAccumulator(1_000).addCount(300);
    for (int i = ids.size() - 1; i >= 0; i--) {
      backward.addItem(ids.get(i), 1);
    }
    assertThat(backward, equalTo(forward));
    assertThat(backward.hashCode(), equalTo(forward.hashCode()));
    assertThat(new MetricAccumulator(300, 0, forward.items()), equalTo(forward));

    backward.addItem("w0", 1);
    assertThat(backward, not(equalTo(forward)));
    MetricAccumulator other = forward.copy().addItem("elsewhere", 1);
    assertThat(other, not(equalTo(forward)));
  }

  /** A copy is independent: adding to it, or to the original, leaves the other unchanged. */
  @Test
  public void aCopyIsIndependent() {
    MetricAccumulator original = new MetricAccumulator().addCount(1).addItem("a", 1);
    MetricAccumulator copy = original.copy();
    copy.addItem("a", 1).addItem("b", 1).addCount(1);
    original.addItem("c", 4);
    assertThat(original.items(), equalTo(Map.of("a", 1L, "c", 4L)));
    assertThat(original.count(), equalTo(1L));
    assertThat(copy.items(), equalTo(Map.of("a", 2L, "b", 1L)));
    assertThat(copy.count(), equalTo(2L));
  }

  @Test
  public void itemsAreVisitedInSortedOrder() {
    MetricAccumulator acc = new MetricAccumulator();
    for (String id : new String[] {"m", "b", "z", "a", "", "b"}) {
      acc.addItem(id, 1);
    }
    List<String> seen = new ArrayList<>();
    acc.forEachItemSorted((id, n) -> seen.add(id + "=" + n));
    assertThat(seen, contains("=1", "a=1", "b=2", "m=1", "z=1"));
  }

  @Test
  public void aNegativeExpectedSizeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new MetricAccumulator(-1));
  }
}
