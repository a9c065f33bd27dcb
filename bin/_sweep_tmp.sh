#!/usr/bin/env bash
# Removes the copies a JVM of this project leaves in its temporary directory when it does not exit normally.
#
# DuckDB's JDBC driver copies its native library (libduckdb_java<digits>.so, about 57 MB) to java.io.tmpdir the first
# time a JVM opens DuckDB, and Flink copies its bundled Pekko jar (flink-rpc-akka<uuid>.jar, about 22 MB) there for the
# JVM's RPC system; both are deleted when the JVM exits normally (File.deleteOnExit). A JVM that is killed (kill -9,
# the chaos suite's faults, the kernel's out-of-memory killer, a CI timeout) or that crashes leaves them behind, and
# repeated test and benchmark runs once filled a build machine's disk with them.
#
# A copy is removed only when it is older than a minute (a JVM copies it and loads it at once) and no running process
# has it mapped or open (/proc/<pid>/maps, /proc/<pid>/fd). Only the caller's own files are looked at; on a system
# without /proc (macOS) nothing is removed. Sourced by bin/_runtime.sh (every bin/ command that starts a JVM) and by
# bin/collab-test, or run on its own:
#
#   bin/_sweep_tmp.sh [DIR]     DIR: the JVMs' temporary directory, by default /tmp (java.io.tmpdir on Linux)
#
# It prints one line to stderr per file it removes, and nothing else; it never fails its caller.

# The copies in $1 (default /tmp) that no live process uses, older than a minute, removed.
collab_sweep_tmp() {
  local dir="${1:-/tmp}" f used copies=()
  [ -d /proc/self/fd ] && [ -d "$dir" ] || return 0
  while IFS= read -r -d '' f; do
    copies+=("$f")
  done < <(find "$dir" -maxdepth 1 -type f -user "$(id -u)" -mmin +1 \
      \( -name 'libduckdb_java*.so' -o -name 'flink-rpc-akka*.jar' \) -print0 2>/dev/null)
  [ ${#copies[@]} -gt 0 ] || return 0
  # Every path a running process has mapped (a loaded library, a memory-mapped jar) or open (a jar's class loader),
  # read once and whole before it is searched: under the callers' pipefail, a grep -q that stopped reading a pipe
  # early would fail the pipeline and call a copy unused.
  used="$(cat /proc/[0-9]*/maps 2>/dev/null || true; find /proc/[0-9]*/fd -maxdepth 1 -type l -printf '%l\n' 2>/dev/null || true)"
  for f in "${copies[@]}"; do
    if grep -qF -- "$f" <<< "$used"; then
      continue
    fi
    if rm -f -- "$f" 2>/dev/null; then
      echo "$(basename "$0"): removed $f, left by a JVM that did not exit normally" >&2
    fi
  done
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  collab_sweep_tmp "${1:-/tmp}"
fi
