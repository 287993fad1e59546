#!/usr/bin/env bash
# The smoke pipeline end to end through the Makefile, on tiny generated data:
#   - every stage writes its artifact, provenance.json and the latest/ links;
#   - a second run reuses every stage;
#   - changing a train parameter re-runs train and what follows, reuses ingest, keeps the old run;
#   - a stage that fails leaves nothing under its final name;
#   - a training run killed with SIGKILL resumes on the next make and ends with the same model
#     as an uninterrupted run;
#   - two runs of one pipeline at once: the second waits for the first (or, with NOWAIT=1, refuses
#     at once), both end well, and every artifact under a final name is complete;
#   - a file left under a temporary name never becomes part of an artifact;
#   - data without test examples goes through every stage, and make runs prints only data on stdout.
set -uo pipefail
cd "$(dirname "$0")/.."
. Tests/pipeline-lib.sh pipeline-test
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
for sheet in samples reconstructions traversal interpolation manifold curves scatter; do
    check "latest/$sheet.png is a PNG" bash -c "head -c 8 '$A/smoke/latest/$sheet.png' | od -An -tx1 | grep -q '89 50 4e 47'"
done
check "train summary has test_neg_elbo" grep -q '"test_neg_elbo"' "$A/smoke/latest/train/summary.json"
check "provenance records the input artifact" grep -q '"input_artifact": ".*ingest-' "$A/smoke/latest/train/provenance.json"
check "make prints the test negative ELBO" grep -q "test negative ELBO: [0-9]" "$scratch/make.log"
check "make prints the latent use: active units and the reconstruction PSNR" \
    grep -qE "latent use: [0-9]+/[0-9]+ active units, reconstruction PSNR [0-9.]+ dB \(mean image [0-9.]+ dB\)" "$scratch/make.log"
check "make prints the plots" grep -q "plot: .*latest/scatter.png" "$scratch/make.log"
check "the run has model.safetensors" test -s "$A/smoke/latest/train/model.safetensors"
train_id=$(basename "$(readlink "$A/smoke/latest/train")")
make --no-print-directory PIPELINE=smoke ARTIFACTS=$A runs FORMAT=csv > "$scratch/runs.csv" 2> "$scratch/runs.err"
check "make runs lists the training run" grep -q "${train_id#train-}" "$scratch/runs.csv"
check "make runs FORMAT=csv prints only the CSV on stdout (the build's lines on stderr)" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
sys.exit(0 if rows[0][:3] == ["id", "status", "finished"] and all(len(r) == len(rows[0]) for r in rows) else 1)' "$scratch/runs.csv"
check "make runs: the build's lines went to stderr" grep -q "Build complete" "$scratch/runs.err"
run_make ARTIFACTS=$scratch/no-test INGEST_ARGS="synthetic --train 512 --test 0 --size 12 --seed 1"
check "no test examples: the pipeline ends, make prints n/a" grep -q "test negative ELBO: n/a" "$scratch/make.log"
check "no test examples: summary.json has a null test_neg_elbo" jq -e '.test_neg_elbo == null' "$scratch/no-test/smoke/latest/train/summary.json"
run_make ARTIFACTS=$A report
check "make report writes latest/report.html" test -s "$A/smoke/latest/report.html"
check "every file report.html references exists" python3 -c '
import html.parser, os, sys
page = sys.argv[1]
refs = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        refs.extend(v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#"))
P().feed(open(page).read())
missing = [r for r in refs if not os.path.exists(os.path.join(os.path.dirname(page), r))]
sys.exit(1 if missing or not refs else 0)' "$A/smoke/latest/report.html"

listing() { ls -la --time-style=full-iso "$1" | grep -v ' \.lock$' | md5sum; }  # the lock records its holder
before=$(listing "$A/smoke")
run_make ARTIFACTS=$A
check "second run runs no stage" test "$(grep -c ': wrote ' "$scratch/make.log")" = 0
check "second run changes nothing" test "$(listing "$A/smoke")" = "$before"

old_train=$(cd "$A/smoke" && ls -d train-*)
old_provenance=$(md5sum < "$A/smoke/$old_train/provenance.json")
run_make ARTIFACTS=$A TRAIN_OPTS="--hidden 32 --latent 2 --epochs 3 --batch-size 32 --lr 0.003 --seed 1"
check "changed train parameter: ingest not re-run" test "$(grep -c 'ingest: wrote' "$scratch/make.log")" = 0
check "changed train parameter: train, embed, generate re-run" test "$(grep -c ': wrote ' "$scratch/make.log")" = 3
for stage in train embed generate; do
    check "changed train parameter: $stage re-run" grep -q "^$stage: wrote" "$scratch/make.log"
done
check "changed train parameter: a second train artifact" test "$(count "$A/smoke/train-*")" = 2
check "changed train parameter: new embed and generate too" test "$(count "$A/smoke/generate-*")" = 2
check "the old train artifact is untouched" test "$(md5sum < "$A/smoke/$old_train/provenance.json")" = "$old_provenance"
check "latest/train points at the new run" test "$(readlink "$A/smoke/latest/train")" != "../$old_train"

run_make ARTIFACTS=$A TRAIN_OPTS="--hidden 32 --latent 2 --epochs 0"
check "a failing train stage fails make" test $? != 0
check "a failing train stage leaves no artifact under a final name" test "$(count "$A/smoke/train-*")" = 2
run_make ARTIFACTS=$A GENERATE_OPTS="--seed 1 --scale 0"
check "a failing generate stage fails make" test $? != 0
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

# Two runs of one pipeline at once, started half a second apart, on new artifacts.
D=$scratch/d
make --no-print-directory PIPELINE=smoke ARTIFACTS=$D > "$scratch/first.log" 2>&1 & first=$!
sleep 0.5
make --no-print-directory PIPELINE=smoke ARTIFACTS=$D > "$scratch/second.log" 2>&1 & second=$!
wait $first; first_status=$?
wait $second; second_status=$?
check "concurrent runs: the first succeeds" test $first_status = 0
check "concurrent runs: the second succeeds" test $second_status = 0
check "concurrent runs: the second said once that it waited" test "$(grep -c '^waiting for .*smoke/.lock' "$scratch/second.log")" = 1
check "concurrent runs: the second reused every stage" test "$(grep -c ': wrote ' "$scratch/second.log")" = 0
for stage in ingest train embed generate; do
    check "concurrent runs: one complete $stage artifact" test "$(count "$D/smoke/$stage-*/provenance.json")" = 1
done
for sheet in samples reconstructions traversal interpolation manifold curves scatter; do
    check "concurrent runs: generate has $sheet.png" test -s "$(echo $D/smoke/generate-*/$sheet.png)"
done
check "concurrent runs: every latest/ link resolves" bash -c "for l in $D/smoke/latest/*; do test -e \"\$l\" || exit 1; done"
check "concurrent runs: no partial directory left" test "$(count "$D/smoke/.*.partial")" = 0
make --no-print-directory PIPELINE=smoke ARTIFACTS=$D > "$scratch/third.log" 2>&1
check "concurrent runs: a third run recomputes nothing" test "$(grep -c ': wrote ' "$scratch/third.log")" = 0

# NOWAIT=1 refuses at once while another run holds the lock; a killed holder blocks nothing.
pipelines/locked.sh "$D/smoke/.lock" sleep 60 & holder=$!
sleep 0.3
NOWAIT=1 make --no-print-directory PIPELINE=smoke ARTIFACTS=$D > "$scratch/nowait.log" 2>&1
check "NOWAIT=1 while locked: make fails" test $? != 0
check "NOWAIT=1 while locked: the message names the lock and its holder" grep -q "smoke/.lock is held by process $holder" "$scratch/nowait.log"
kill -KILL $holder; wait $holder 2>/dev/null
NOWAIT=1 make --no-print-directory PIPELINE=smoke ARTIFACTS=$D > "$scratch/nowait.log" 2>&1
check "a lock left by a killed run does not block the next" test $? = 0

# A stage's leftover temporary file is removed, never renamed into the artifact.
pipelines/stage.sh demo "$scratch/e/demo-0123456789" - - "" -- \
    bash -c 'echo done > @OUT@/result.txt; echo half > @OUT@/.result.txt.tmp-99' > /dev/null
check "stage.sh: the artifact has its result" test -s "$scratch/e/demo-0123456789/result.txt"
check "stage.sh: no temporary file in the artifact" test "$(count "$scratch/e/demo-0123456789/.*.tmp-*")" = 0
check "stage.sh: provenance.json is JSON with the command" \
    test "$(jq -r '.command[0]' "$scratch/e/demo-0123456789/provenance.json")" = bash

# The smoke pipeline across 2 processes (LAUNCH): the same ingest and embed bytes as one
# process, a train stage of its own (its ID includes N).
M=$scratch/m
launch="mpirun -np 2 --oversubscribe$([ "$(id -u)" = 0 ] && echo " --allow-run-as-root")"
make --no-print-directory PIPELINE=smoke ARTIFACTS=$M THREADS=1 LAUNCH="$launch" > "$scratch/mpi.log" 2>&1
check "LAUNCH=mpirun: make PIPELINE=smoke succeeds" grep -q "pipeline smoke: done" "$scratch/mpi.log"
check "LAUNCH=mpirun: the stages ran under mpirun" grep -q "^train: mpirun -np 2" "$scratch/mpi.log"
check "LAUNCH=mpirun: the run records 2 processes" test "$(jq -r .ranks "$M/smoke/latest/train/config.json")" = 2
check "LAUNCH=mpirun: the ingest artifact is one process's" \
    diff -r "$A/smoke/latest/ingest" "$M/smoke/latest/ingest" -x provenance.json
make --no-print-directory PIPELINE=smoke ARTIFACTS=$M THREADS=1 > "$scratch/one.log" 2>&1
check "LAUNCH=mpirun: one process, THREADS=1: another train stage" test "$(count "$M/smoke/train-*")" = 2

summary pipeline
