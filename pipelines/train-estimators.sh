#!/usr/bin/env bash
# The train stage of the fashion-mnist-estimators pipeline: one vae-train run per gradient
# estimator, each into its own directory of the stage's artifact, then their figures side by side.
#
#   train-estimators.sh VAE_TRAIN --data SHARDS --out DIR --force|--resume --threads N [OPTIONS...]
#   train-estimators.sh --resume DIR
#
# Writes DIR/ESTIMATOR/ (a whole run directory each), DIR/gradient_variance-ESTIMATOR.csv (each
# run's gradient_variance.csv), DIR/estimators.csv (estimator,test_neg_elbo,median_epoch_seconds),
# DIR/encoder-variance.csv (step and the whole encoder's variance under each estimator along the
# reparameterization run), and model.ckpt, summary.json, metrics.csv and gradient_variance.csv
# linking to the reparameterization run's, which the later stages use (the generate stage draws
# variance.png from that gradient_variance.csv). The first call keeps its arguments in DIR/arguments, so that a resumed stage (which is
# given only --resume DIR) starts the runs that had not started and resumes the one stopped.
set -euo pipefail
estimators=(reparameterization score-function score-function-baseline)

if [ "$1" = --resume ]; then
    out=$2
    mapfile -d '' -t args < "$out/arguments"
    tool=${args[0]}
    args=("${args[@]:1}")
else
    tool=$1
    shift
    args=("$@")
    out=
    for ((i = 0; i < ${#args[@]}; i++)); do
        if [ "${args[i]}" = --out ]; then out=${args[i + 1]}; fi
    done
    [ -n "$out" ] || { echo "train-estimators.sh: no --out given" >&2; exit 2; }
    mkdir -p "$out"
    printf '%s\0' "$tool" "${args[@]}" > "$out/arguments"
fi

for e in "${estimators[@]}"; do
    run=$out/$e
    if [ -f "$run/model.ckpt" ]; then
        echo "train-estimators: $e already trained"
        continue
    fi
    if compgen -G "$run/checkpoints/*.ckpt" >/dev/null; then
        "$tool" --resume "$run"
        continue
    fi
    # The stage's arguments with --out pointing at this estimator's run, --resume made --force.
    own=()
    for ((i = 0; i < ${#args[@]}; i++)); do
        a=${args[i]}
        if [ "$a" = --out ]; then own+=(--out "$run"); i=$((i + 1)); continue; fi
        if [ "$a" = --resume ]; then a=--force; fi
        own+=("$a")
    done
    "$tool" "${own[@]}" --estimator "$e"
done

echo "estimator,test_neg_elbo,median_epoch_seconds" > "$out/estimators.csv.tmp"
for e in "${estimators[@]}"; do
    cp "$out/$e/gradient_variance.csv" "$out/gradient_variance-$e.csv"
    jq -r --arg e "$e" '[$e, .test_neg_elbo, .median_epoch_seconds] | @csv' "$out/$e/summary.json" | tr -d '"' >> "$out/estimators.csv.tmp"
done
mv "$out/estimators.csv.tmp" "$out/estimators.csv"
# The whole encoder's gradient variance under each estimator along the reparameterization run
# (the same parameters and batch for the three): step,reparameterization,score-function,...
awk -F, 'NR > 1 && $3 == "encoder" { v[$1] = v[$1] "," $5; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    END { print "step,reparameterization,score-function,score-function-baseline"; for (i = 1; i <= n; i++) print order[i] v[order[i]] }' \
    "$out/reparameterization/gradient_variance.csv" > "$out/encoder-variance.csv.tmp"
mv "$out/encoder-variance.csv.tmp" "$out/encoder-variance.csv"
for f in model.ckpt summary.json metrics.csv gradient_variance.csv; do ln -sfn "reparameterization/$f" "$out/$f"; done
