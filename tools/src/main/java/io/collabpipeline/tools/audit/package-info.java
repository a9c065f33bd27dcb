/**
 * The lost-event audit ({@code bin/collab-audit}): every source offset of an arrival-date range
 * accounted for as raw-written, quarantined or duplicate, per source partition and hour.
 */
package io.collabpipeline.tools.audit;
