#!/usr/bin/env bash
# Submits the collab-pipeline streaming job to Flink on EMR, as a YARN application-mode cluster of its own.
#
# Run it on the EMR primary node (where `flink` and /etc/flink/conf, written by cluster.json's flink-conf
# classification, are), or let EMR run the same command as the step of emr/steps.json.
#
#   runner-configs/emr/submit.sh [--jar PATH] [--from-savepoint S3_PATH --generation N] [--dry-run]
#
#   --jar PATH                the shaded job jar (default: $COLLAB_JOB_JAR or /home/hadoop/collab-pipeline-job.jar);
#                             build it with `./mvnw -o -Pjob-jar -pl runner-configs -am package -DskipTests`
#   --from-savepoint S3_PATH  resume from a savepoint or a retained checkpoint (state is matched by step name): passed
#                             to `flink run-application` as --fromSavepoint (-s), which is what restores inside the
#                             cluster; Beam's --savepointPath is ignored there (its [auto] master takes the cluster's
#                             context environment)
#   --generation N            required with --from-savepoint: the generation of the stream that took it, which the
#                             restored stream continues (a new one would win over the correction replays' rows). It is
#                             the newest `stream` entry of pipeline_generations, and the -g<N>- of the stream's
#                             raw-store file names; the job checks it against pipeline_generations (a stream's, and
#                             no newer stream's there)
#   --dry-run                 print the command, one argument per line, instead of running it
#
# The Beam options are read from ../flink/production/beam-options.txt (one per line, '#' comments). No credentials are
# read or passed here: AWS access comes from the EC2 instance profile, secrets are referenced by the options.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
options_file="${here}/../flink/production/beam-options.txt"
jar="${COLLAB_JOB_JAR:-/home/hadoop/collab-pipeline-job.jar}"
savepoint=""
generation=""
dry_run=false

while [[ $# -gt 0 ]]; do
  case "$1" in
    --jar) jar="${2:?--jar needs a path}"; shift 2 ;;
    --from-savepoint) savepoint="${2:?--from-savepoint needs an s3:// path}"; shift 2 ;;
    --generation) generation="${2:?--generation needs the generation of the restored stream}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    *) echo "submit.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done

if [[ -n "${savepoint}" && -z "${generation}" ]]; then
  echo "submit.sh: --from-savepoint restores a stream, which must continue its generation: add --generation N" \
    "(the newest 'stream' entry of pipeline_generations; see the header of $0)" >&2
  exit 2
fi
if [[ -n "${generation}" && -z "${savepoint}" ]]; then
  echo "submit.sh: --generation continues a stream restored with --from-savepoint; a submit without it starts" \
    "fresh with a new generation: drop --generation, or add --from-savepoint" >&2
  exit 2
fi
if [[ -n "${generation}" && ! "${generation}" =~ ^[1-9][0-9]{0,18}$ ]]; then
  echo "submit.sh: --generation ${generation} is not a generation: it is a positive whole number" \
    "(epoch milliseconds, such as 1795309200000)" >&2
  exit 2
fi

if [[ ! -r "${options_file}" ]]; then
  echo "submit.sh: cannot read ${options_file}" >&2
  exit 2
fi

beam_options=()
while IFS= read -r line || [[ -n "${line}" ]]; do
  line="${line#"${line%%[![:space:]]*}"}"
  line="${line%"${line##*[![:space:]]}"}"
  [[ -z "${line}" || "${line}" == \#* ]] && continue
  beam_options+=("${line}")
done < "${options_file}"
restore=()
if [[ -n "${savepoint}" ]]; then
  restore=(--fromSavepoint "${savepoint}")
  beam_options+=("--generation=${generation}")
fi

# Application mode: the job's main() runs in its own JobManager on YARN, so the submitting host (or EMR step) is not
# part of the running job, and one job's failure or upgrade never touches another's cluster.
command=(flink run-application
  -t yarn-application
  -Dyarn.application.name=collab-pipeline
  ${restore[@]+"${restore[@]}"}
  "${jar}"
  "${beam_options[@]}")

if [[ "${dry_run}" == true ]]; then
  printf '%s\n' "${command[@]}"
  exit 0
fi
if [[ ! -r "${jar}" ]]; then
  echo "submit.sh: job jar ${jar} not found; build it with -Pjob-jar and copy it here (or pass --jar)" >&2
  exit 2
fi
exec "${command[@]}"
