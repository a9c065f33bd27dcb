# Shared by the bin/ commands: builds a module and what it depends on when their sources changed since the last
# build, then runs a main class of it on the runtime classpath Maven resolved. The module is pipelines (the job),
# tools (the publisher, the benchmark, the SQL shell, the dev stack), collector (the ingestion edge) or monitoring (the
# exporter, the audit, the report) when the command sets collab_module before sourcing this file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collab_module="${collab_module:-pipelines}"
case "$collab_module" in
  pipelines) sources=(schemas coders transforms pipelines) ;;
  tools) sources=(schemas coders transforms collector pipelines tools) ;;
  collector) sources=(schemas coders transforms collector) ;;
  monitoring) sources=(schemas coders transforms collector pipelines tools monitoring) ;;
  *) echo "bin/_runtime.sh: unknown module '$collab_module' (pipelines, tools, collector or monitoring)" >&2; exit 2 ;;
esac
cp_file="$root/$collab_module/target/runtime-classpath.txt"

needs_build() {
  [ -f "$cp_file" ] || return 0
  [ -n "$(find "${sources[@]/#/$root/}" "$root/pom.xml" \
      \( -path '*/target' -prune \) -o \( -type f -newer "$cp_file" -print \) 2>/dev/null | head -n 1)" ]
}

if needs_build; then
  if [ "${COLLAB_NO_BUILD:-0}" = 1 ]; then
    echo "$(basename "$0"): the $collab_module module's build is older than its sources, and COLLAB_NO_BUILD=1 forbids building it here (bin/collab-test sets it while its own Maven build runs); build it with ./mvnw -B -DskipTests -pl $collab_module -am package, or unset COLLAB_NO_BUILD" >&2
    exit 2
  fi
  echo "building collab-pipeline's $collab_module module (first run or sources changed; takes a minute) ..." >&2
  (cd "$root" && ./mvnw -q -B -DskipTests -pl "$collab_module" -am package) >&2
  # The dependency plugin leaves an unchanged classpath file as it is: mark the build done, or every run rebuilds.
  touch "$cp_file"
fi
classpath="$root/$collab_module/target/classes:$(cat "$cp_file")"

# The native library and jar copies that killed JVMs left in the temporary directory (bin/_sweep_tmp.sh).
source "$root/bin/_sweep_tmp.sh"

run_main() {
  local main="$1"; shift
  collab_sweep_tmp /tmp
  exec java ${JAVA_OPTS:--Xmx6g} -cp "$classpath" "$main" "$@"
}
