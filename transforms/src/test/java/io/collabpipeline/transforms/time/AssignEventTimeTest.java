package io.collabpipeline.transforms.time;

import static io.collabpipeline.transforms.metrics.TestEvents.atArrival;
import static io.collabpipeline.transforms.metrics.TestEvents.event;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

@RunWith(JUnit4.class)
public class AssignEventTimeTest {

  @Rule public final transient TestPipeline p = TestPipeline.create();

  @Test
  public void retimestampsEachEventToItsOccurredAtEvenFarBehindItsArrival() {
    long arrival = Instant.parse("2026-11-01T10:00:00Z").getMillis();
    List<CollabEvent> events =
        Arrays.asList(
            // Occurred three days before it arrived (an offline mobile client): far behind the
            // input timestamp.
            event(
                    "evt-00000001",
                    "task.updated",
                    arrival - Duration.standardDays(3).getMillis(),
                    arrival)
                .build(),
            event("evt-00000002", "task.created", arrival - 1_500L, arrival).build(),
            // A client clock ahead of the server: event time after arrival.
            event("evt-00000003", "comment.added", arrival + 2_000L, arrival).build());
    List<TimestampedValue<CollabEvent>> expected = new ArrayList<>();
    for (CollabEvent e : events) {
      expected.add(TimestampedValue.of(e, new Instant(e.occurredAtMillis())));
    }

    PAssert.that(
            p.apply(Create.timestamped(atArrival(events)).withCoder(CollabEventCoder.of()))
                .apply(AssignEventTime.create())
                .apply(Reify.timestamps()))
        .containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
