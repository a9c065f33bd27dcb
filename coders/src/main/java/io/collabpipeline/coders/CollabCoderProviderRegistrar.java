package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviderRegistrar;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Makes the project's coders the default for its element types in every pipeline (found through
 * {@link java.util.ServiceLoader}), so coder inference never falls back to Java serialization.
 */
public final class CollabCoderProviderRegistrar implements CoderProviderRegistrar {
  @Override
  public List<CoderProvider> getCoderProviders() {
    return Arrays.asList(
        CoderProviders.forCoder(TypeDescriptor.of(SourceRef.class), SourceRefCoder.of()),
        CoderProviders.forCoder(TypeDescriptor.of(RawRecord.class), RawRecordCoder.of()),
        CoderProviders.forCoder(
            TypeDescriptor.of(QuarantineRecord.class), QuarantineRecordCoder.of()),
        CoderProviders.forCoder(TypeDescriptor.of(CollabEvent.class), CollabEventCoder.of()),
        CoderProviders.forCoder(TypeDescriptor.of(CuratedRow.class), CuratedRowCoder.of()),
        CoderProviders.forCoder(
            TypeDescriptor.of(MetricAccumulator.class), MetricAccumulatorCoder.of()));
  }
}
