/**
 * The event contract: JSON Schemas per (event type, schema version) with a privacy class on every
 * field, the registry that loads and checks them, and the compatibility check that fails the build
 * on a breaking change. No Beam here.
 */
package io.collabpipeline.schemas;
