#!/usr/bin/env bash
# Runs one pipeline stage so that its artifact appears whole or not at all.
#
#   stage.sh STAGE FINAL_DIR INPUT_DIR CHECKSUMMED_FILE PARAMS -- COMMAND...
#
# The command writes into a hidden work directory beside FINAL_DIR, named by the word @OUT@ in its
# arguments. When it succeeds, provenance.json is written there and the directory is renamed to
# FINAL_DIR. A train stage keeps its work directory when interrupted, and the next run resumes
# from its checkpoints (@RESUME@ in the arguments becomes --resume or --force, see below); every
# other stage starts over. INPUT_DIR and CHECKSUMMED_FILE may be '-' for none.
set -euo pipefail

stage=$1 final=$2 input=$3 checksummed=$4 params=$5
shift 5
[ "$1" = "--" ] && shift

if [ -f "$final/provenance.json" ]; then
    echo "$stage: reusing $final"
    exit 0
fi
work="$(dirname "$final")/.$(basename "$final").partial"
mkdir -p "$(dirname "$final")"

resume=--force
# (A train stage of several runs, one per subdirectory, resumes likewise.)
if [ "$stage" = train ] && { compgen -G "$work/checkpoints/*.ckpt" || compgen -G "$work/*/checkpoints/*.ckpt"; } >/dev/null; then
    resume=--resume
    echo "$stage: resuming the interrupted run in $work"
else
    rm -rf "$work"
    mkdir -p "$work"
fi

args=()
for a in "$@"; do
    a=${a//@OUT@/$work}
    if [ "$a" = "@RESUME@" ]; then a=$resume; fi
    args+=("$a")
done
if [ "$resume" = --resume ]; then
    # A resumed run takes its settings from its own config.json: only the tool and the run dir.
    args=("${args[0]}" --resume "$work")
fi

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "$stage: ${args[*]}"
"${args[@]}"
ended=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# A file a killed writer left under a temporary name is never part of an artifact.
for leftover in $(find "$work" -name '*.tmp-*' -prune); do
    echo "$stage: removing the leftover $leftover"
    rm -rf "$leftover"
done

checksum=
if [ "$checksummed" != - ]; then
    checksum="$(basename "$checksummed") sha256 $(sha256sum "$checksummed" | cut -d' ' -f1)"
fi
commit=$(git -C "$(dirname "$0")" rev-parse HEAD 2>/dev/null || true)
tool_version=${TOOL_VERSION:-$("${args[0]}" --version 2>/dev/null || echo unknown)}
command=$(printf '%s\0' "${args[@]}" | jq -Rs 'rtrimstr("\u0000") | split("\u0000")')
jq -n --arg stage "$stage" --arg artifact "$final" --arg id "${final##*-}" \
    --arg parameters "$params" --arg tool_version "$tool_version" --arg git_commit "$commit" \
    --arg input "$input" --arg checksum "$checksum" --arg started "$started" --arg ended "$ended" \
    --argjson command "$command" --argjson resumed "$( [ "$resume" = --resume ] && echo true || echo false)" \
    '{stage: $stage, artifact: $artifact, id: $id, command: $command, parameters: $parameters,
      tool_version: $tool_version,
      git_commit: (if $git_commit == "" then null else $git_commit end),
      input_artifact: (if $input == "-" then null else $input end),
      input_id: (if $input == "-" then null else ($input | sub(".*-"; "")) end),
      input_checksum: (if $checksum == "" then null else $checksum end),
      resumed: $resumed, started: $started, ended: $ended}' > "$work/provenance.json.tmp"
mv "$work/provenance.json.tmp" "$work/provenance.json"
sync -f "$work/provenance.json" 2>/dev/null || true
rm -rf "$final"
mv -T "$work" "$final"

# artifacts/PIPELINE/latest/STAGE points at the newest complete artifact of each stage.
latest="$(dirname "$final")/latest"
mkdir -p "$latest"
ln -sfn "../$(basename "$final")" "$latest/.$stage.new"
mv -T "$latest/.$stage.new" "$latest/$stage"
echo "$stage: wrote $final"
