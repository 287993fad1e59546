#!/usr/bin/env bash
# The generate stage: every sample sheet of one trained model, its loss curves and the scatter of
# its latent codes, into one directory.
#   [CLASSES=yes] [VARIANCE=yes] generate-sheets.sh VAE_GENERATE CHECKPOINT SHARDS OUT_DIR MANIFOLD(yes|no) LATENTS [SHEET OPTIONS...]
# The curves come from metrics.csv beside CHECKPOINT; the scatter shows the test split of LATENTS
# (all of it when the embed stage wrote fewer than two test rows): dimensions 1 and 2 of a 2-D model, the
# first two principal components otherwise. CLASSES=yes (a conditional model) adds the classes
# sheet: one row per class, 10 columns. VARIANCE=yes (a run with --gradient-variance-every) adds
# variance.png: the whole encoder's gradient variance under each estimator against step, log
# scale, from gradient_variance.csv beside CHECKPOINT. A model with the VampPrior (config.json beside
# CHECKPOINT) adds pseudo-inputs.png; one trained on the IWAE bound plots its test value beside the
# test negative ELBO.
set -euo pipefail
tool=$1 checkpoint=$2 shards=$3 out=$4 manifold=$5 latents=$6
shift 6
common=(--checkpoint "$checkpoint" "$@")
# The sheets of examples take theirs from the test split, or from train when the test split holds
# fewer than two (a small folder): up to 16 reconstructions, as many as the split has.
examples=test
available=$(jq -e '.test.count' "$shards/manifest.json")
if [ "$available" -lt 2 ]; then
    examples=train
    available=$(jq -e '.train.count' "$shards/manifest.json")
fi
data=(--data "$shards" --split "$examples")
"$tool" samples "${common[@]}" --rows 8 --cols 8 --out "$out/samples.png"
"$tool" reconstructions "${common[@]}" "${data[@]}" --count $((available < 16 ? available : 16)) --out "$out/reconstructions.png"
"$tool" traverse "${common[@]}" "${data[@]}" --index 0 --steps 11 --range 3 --out "$out/traversal.png"
"$tool" interpolate "${common[@]}" "${data[@]}" --from 0 --to $((available < 2 ? 0 : 1)) --steps 10 --out "$out/interpolation.png"
if [ "${CLASSES:-no}" = yes ]; then
    "$tool" classes "${common[@]}" --cols 10 --out "$out/classes.png"
fi
if [ "$manifold" = yes ]; then
    "$tool" manifold "${common[@]}" --steps 20 --dims 1,2 --out "$out/manifold.png"
fi
run_config="$(dirname "$checkpoint")/config.json"
if [ -f "$run_config" ] && jq -e '.model.prior.vamp' "$run_config" > /dev/null; then
    "$tool" pseudo-inputs "${common[@]}" --cols 10 --out "$out/pseudo-inputs.png"
fi
if [ -f "$run_config" ] && [ "$(jq -r '.settings.objective // "elbo"' "$run_config")" = iwae ]; then
    "$tool" curves --csv "$(dirname "$checkpoint")/metrics.csv" --x epoch --y train_loss,test_loss,test_objective \
        --title "loss per example (nats): train objective, test negative ELBO, test negative IWAE bound" --out "$out/curves.png"
else
    "$tool" curves --csv "$(dirname "$checkpoint")/metrics.csv" --x epoch --y train_loss,test_loss \
        --title "loss per example (nats): train loss and test negative ELBO" --out "$out/curves.png"
fi
if [ "${VARIANCE:-no}" = yes ]; then
    "$tool" curves --csv "$(dirname "$checkpoint")/gradient_variance.csv" --where tensor=encoder --by estimator \
        --x step --y variance --log-y --title "encoder gradient variance (sum over parameters) by estimator" \
        --out "$out/variance.png"
fi
split=all  # the test split's codes, when there are at least two (principal components need two)
if [ "$(grep -c '^[0-9]*,test,' "$latents")" -ge 2 ]; then split=test; fi
"$tool" scatter --latents "$latents" --data "$shards" --split "$split" --max-points 10000 --out "$out/scatter.png"
