#!/usr/bin/env bash
# The smoke pipeline end to end through the Makefile, on tiny generated data:
#   - every stage writes its artifact, provenance.json and the latest/ links;
#   - a second run reuses every stage;
#   - changing a train parameter re-runs train and what follows, reuses ingest, keeps the old run;
#   - a stage that fails leaves nothing under its final name;
#   - a training run killed with SIGKILL resumes on the next make and ends with the same model
#     as an uninterrupted run.
set -uo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d /tmp/vae-pipeline-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok: $what"
    else failed=$((failed + 1)); echo "FAILED: $what"; fi
}
count() { compgen -G "$1" | wc -l; }
run_make() { make --no-print-directory PIPELINE=smoke "$@" > "$scratch/make.log" 2>&1; }

A=$scratch/a
run_make ARTIFACTS=$A
check "make PIPELINE=smoke succeeds" grep -q "pipeline smoke: done" "$scratch/make.log"
for stage in ingest train embed generate; do
    check "$stage artifact with provenance" test "$(count "$A/smoke/$stage-*/provenance.json")" = 1
    check "latest/$stage points at it" test -f "$A/smoke/latest/$stage/provenance.json"
done
check "latest/latents.csv" test -s "$A/smoke/latest/latents.csv"
check "latents.csv has a header and 640 rows" test "$(wc -l < "$A/smoke/latest/latents.csv")" = 641
for sheet in samples reconstructions traversal interpolation manifold; do
    check "latest/$sheet.png is a PNG" bash -c "head -c 8 '$A/smoke/latest/$sheet.png' | od -An -tx1 | grep -q '89 50 4e 47'"
done
check "train summary has test_neg_elbo" grep -q '"test_neg_elbo"' "$A/smoke/latest/train/summary.json"
check "provenance records the input artifact" grep -q '"input_artifact": ".*ingest-' "$A/smoke/latest/train/provenance.json"
check "make prints the test negative ELBO" grep -q "test negative ELBO: [0-9]" "$scratch/make.log"

before=$(ls -la --time-style=full-iso "$A/smoke" | md5sum)
run_make ARTIFACTS=$A
check "second run runs no stage" test "$(grep -c ': wrote ' "$scratch/make.log")" = 0
check "second run changes nothing" test "$(ls -la --time-style=full-iso "$A/smoke" | md5sum)" = "$before"

old_train=$(cd "$A/smoke" && ls -d train-*)
old_provenance=$(md5sum < "$A/smoke/$old_train/provenance.json")
run_make ARTIFACTS=$A TRAIN_OPTS="--hidden 32 --latent 2 --epochs 3 --batch-size 32 --lr 0.003 --seed 1"
check "changed train parameter: ingest not re-run" test "$(grep -c 'ingest: wrote' "$scratch/make.log")" = 0
check "changed train parameter: train, embed, generate re-run" test "$(grep -c ': wrote ' "$scratch/make.log")" = 3
check "changed train parameter: a second train artifact" test "$(count "$A/smoke/train-*")" = 2
check "changed train parameter: new embed and generate too" test "$(count "$A/smoke/generate-*")" = 2
check "the old train artifact is untouched" test "$(md5sum < "$A/smoke/$old_train/provenance.json")" = "$old_provenance"
check "latest/train points at the new run" test "$(readlink "$A/smoke/latest/train")" != "../$old_train"

run_make ARTIFACTS=$A TRAIN_OPTS="--hidden 32 --latent 2 --epochs 0"
check "a failing train stage fails make" test $? != 0
check "a failing train stage leaves no artifact under a final name" test "$(count "$A/smoke/train-*")" = 2
run_make ARTIFACTS=$A GENERATE_OPTS="--seed 1 --scale 0"
check "a failing generate stage leaves no artifact under a final name" test "$(count "$A/smoke/generate-*")" = 2

# SIGKILL in the middle of training, then make again: it resumes and ends where an uninterrupted
# run ends.
long="--hidden 32 --latent 2 --epochs 1500 --batch-size 16 --lr 0.003 --seed 3 --checkpoint-every 50"
B=$scratch/b C=$scratch/c
run_make ARTIFACTS=$C TRAIN_OPTS="$long" train
make --no-print-directory PIPELINE=smoke ARTIFACTS=$B TRAIN_OPTS="$long" train > "$scratch/killed.log" 2>&1 &
for _ in $(seq 600); do
    compgen -G "$B/smoke/.train-*.partial/checkpoints/step-*.ckpt" >/dev/null && break
    sleep 0.05
done
pkill -KILL -f "vae-train --data $B/" ; wait
check "the killed run left no train artifact" test "$(count "$B/smoke/train-*")" = 0
run_make ARTIFACTS=$B TRAIN_OPTS="$long" train
check "make resumes the killed run" grep -q "resuming" "$scratch/make.log"
check "the resumed model equals the uninterrupted one" cmp "$(echo $B/smoke/train-*/model.ckpt)" "$(echo $C/smoke/train-*/model.ckpt)"

echo "pipeline: $passed passed, $failed failed"
[ "$failed" = 0 ]
