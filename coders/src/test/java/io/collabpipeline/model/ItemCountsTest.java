package io.collabpipeline.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.Test;

/** {@link ItemCounts} against a {@link HashMap} of the same adds, the oracle. */
public class ItemCountsTest {

  /** Ids that collide in String.hashCode ("Aa" and "BB" hash alike), and plain ones. */
  private static String id(Random random) {
    int n = random.nextInt(3000);
    return random.nextBoolean()
        ? "u" + n
        : (n % 2 == 0 ? "Aa" : "BB") + (n % 3 == 0 ? "Aa" : "BB") + (n / 6);
  }

  @Test
  public void countsEveryAddAsAHashMapDoesThroughManyGrowths() {
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      ItemCounts counts = round % 2 == 0 ? new ItemCounts() : new ItemCounts(random.nextInt(50));
      Map<String, Long> oracle = new HashMap<>();
      int adds = random.nextInt(5000);
      for (int i = 0; i < adds; i++) {
        // A fresh String each time: equal ids are found by content, not identity.
        String id = new String(id(random));
        long n = 1 + random.nextInt(4);
        counts.add(id, n);
        oracle.merge(id, n, Long::sum);
      }
      assertThat(counts.size(), is(oracle.size()));
      for (Map.Entry<String, Long> e : oracle.entrySet()) {
        assertThat(e.getKey(), counts.count(e.getKey()), is((long) e.getValue()));
      }
      assertThat(counts.count("never added"), is(0L));
      assertThat(
          counts.maxCount(),
          is(oracle.values().stream().mapToLong(Long::longValue).max().orElse(0)));
      assertThat(counts.contentHash(), is(oracle.hashCode()));

      List<String> visited = new ArrayList<>();
      Map<String, Long> sorted = new TreeMap<>();
      counts.forEachSorted(
          (id, n) -> {
            visited.add(id);
            sorted.put(id, n);
          });
      assertThat(visited, equalTo(new ArrayList<>(new TreeMap<>(oracle).keySet())));
      assertThat(sorted, equalTo(new TreeMap<>(oracle)));

      // In the table's order: every id once, with its count.
      Map<String, Long> unordered = new HashMap<>();
      int[] visits = {0};
      counts.forEach(
          (id, n) -> {
            visits[0]++;
            unordered.put(id, n);
          });
      assertThat(visits[0], is(oracle.size()));
      assertThat(unordered, equalTo(oracle));
    }
  }

  @Test
  public void addAllMergesAndSameAsComparesContentNotOrder() {
    Random random = new Random(7);
    ItemCounts a = new ItemCounts();
    ItemCounts b = new ItemCounts();
    Map<String, Long> oracle = new HashMap<>();
    List<String> added = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      String id = id(random);
      (i % 3 == 0 ? a : b).add(id, 1);
      oracle.merge(id, 1L, Long::sum);
      added.add(id);
    }
    a.addAll(b);
    a.addAll(new ItemCounts());
    new ItemCounts().addAll(a);
    assertThat(a.size(), is(oracle.size()));
    for (Map.Entry<String, Long> e : oracle.entrySet()) {
      assertThat(a.count(e.getKey()), is((long) e.getValue()));
    }
    ItemCounts empty = new ItemCounts();
    empty.addAll(a);
    assertThat(empty.sameAs(a), is(true));
    // The same adds in the opposite order: the same content, the same hash.
    ItemCounts reversed = new ItemCounts(3);
    for (int i = added.size() - 1; i >= 0; i--) {
      reversed.add(added.get(i), 1);
    }
    assertThat(reversed.sameAs(a), is(true));
    assertThat(a.sameAs(reversed), is(true));
    assertThat(reversed.contentHash(), is(a.contentHash()));
    reversed.add(added.get(0), 1);
    assertThat(reversed.sameAs(a), is(false));
    assertThat(new ItemCounts().sameAs(new ItemCounts(100)), is(true));
    assertThat(new ItemCounts().sameAs(a), is(false));
  }
}
