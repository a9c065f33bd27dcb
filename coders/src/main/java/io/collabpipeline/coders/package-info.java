/**
 * Deterministic, compact coders for every element that travels between steps or lives in state,
 * registered with Beam through {@link io.collabpipeline.coders.CollabCoderProviderRegistrar}: no
 * Java serialization, no Kryo.
 */
package io.collabpipeline.coders;
