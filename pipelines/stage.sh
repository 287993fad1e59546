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
if [ "$stage" = train ] && compgen -G "$work/checkpoints/*.ckpt" >/dev/null; then
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

json() { # a JSON string literal
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "$stage: ${args[*]}"
"${args[@]}"
ended=$(date -u +%Y-%m-%dT%H:%M:%SZ)

input_id=null
input_path=null
if [ "$input" != - ]; then
    input_path=$(json "$input")
    input_id=$(json "${input##*-}")
fi
checksum=null
if [ "$checksummed" != - ]; then
    checksum=$(json "$(basename "$checksummed") sha256 $(sha256sum "$checksummed" | cut -d' ' -f1)")
fi
commit=$(git -C "$(dirname "$0")" rev-parse HEAD 2>/dev/null || true)
tool_version=${TOOL_VERSION:-$("${args[0]}" --version 2>/dev/null || echo unknown)}
command_json=$(for a in "${args[@]}"; do json "$a"; echo; done | paste -sd, -)
{
    printf '{\n'
    printf '  "stage": %s,\n' "$(json "$stage")"
    printf '  "artifact": %s,\n' "$(json "$final")"
    printf '  "id": %s,\n' "$(json "${final##*-}")"
    printf '  "command": [%s],\n' "$command_json"
    printf '  "parameters": %s,\n' "$(json "$params")"
    printf '  "tool_version": %s,\n' "$(json "$tool_version")"
    printf '  "git_commit": %s,\n' "$( [ -n "$commit" ] && json "$commit" || echo null)"
    printf '  "input_artifact": %s,\n' "$input_path"
    printf '  "input_id": %s,\n' "$input_id"
    printf '  "input_checksum": %s,\n' "$checksum"
    printf '  "resumed": %s,\n' "$( [ "$resume" = --resume ] && echo true || echo false)"
    printf '  "started": %s,\n' "$(json "$started")"
    printf '  "ended": %s\n' "$(json "$ended")"
    printf '}\n'
} > "$work/provenance.json.tmp"
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
