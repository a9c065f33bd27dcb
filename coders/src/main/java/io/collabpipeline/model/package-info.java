/**
 * The element types of the graph: raw records with their source coordinates, validated and
 * minimized events, quarantine records with reason codes, curated rows and the curated table
 * definitions, and the completeness stages.
 */
package io.collabpipeline.model;
