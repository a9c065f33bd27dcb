/**
 * The erasure job ({@code bin/collab-erasure}): the ledger of erasure requests, the deletion of a
 * user's rows from the user-level tables, the purge of the user's quarantined records and the
 * shredding of the user's pseudonym secret.
 */
package io.collabpipeline.tools.erasure;
