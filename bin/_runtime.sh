# Shared by the bin/ commands: builds the project when its sources changed since the last build, then runs a main class
# of the pipelines module on the runtime classpath Maven resolved.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cp_file="$root/pipelines/target/runtime-classpath.txt"

needs_build() {
  [ -f "$cp_file" ] || return 0
  [ -n "$(find "$root/schemas" "$root/coders" "$root/transforms" "$root/pipelines" "$root/pom.xml" \
      \( -path '*/target' -prune \) -o \( -type f -newer "$cp_file" -print \) 2>/dev/null | head -n 1)" ]
}

if needs_build; then
  echo "building collab-pipeline (first run or sources changed; takes a minute) ..." >&2
  (cd "$root" && ./mvnw -q -B -DskipTests -pl pipelines -am package) >&2
fi

run_main() {
  local main="$1"; shift
  exec java ${JAVA_OPTS:--Xmx6g} -cp "$root/pipelines/target/classes:$(cat "$cp_file")" "$main" "$@"
}
