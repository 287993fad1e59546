#!/usr/bin/env bash
# The generate stage: every sample sheet of one trained model, its loss curves and the scatter of
# its latent codes, into one directory.
#   generate-sheets.sh VAE_GENERATE CHECKPOINT SHARDS OUT_DIR MANIFOLD(yes|no) LATENTS [SHEET OPTIONS...]
# The curves come from metrics.csv beside CHECKPOINT; the scatter shows the test split of LATENTS
# (all of it when the embed stage wrote no test rows): dimensions 1 and 2 of a 2-D model, the
# first two principal components otherwise.
set -euo pipefail
tool=$1 checkpoint=$2 shards=$3 out=$4 manifold=$5 latents=$6
shift 6
common=(--checkpoint "$checkpoint" "$@")
"$tool" samples "${common[@]}" --rows 8 --cols 8 --out "$out/samples.png"
"$tool" reconstructions "${common[@]}" --data "$shards" --split test --count 16 --out "$out/reconstructions.png"
"$tool" traverse "${common[@]}" --data "$shards" --index 0 --steps 11 --range 3 --out "$out/traversal.png"
"$tool" interpolate "${common[@]}" --data "$shards" --from 0 --to 1 --steps 10 --out "$out/interpolation.png"
if [ "$manifold" = yes ]; then
    "$tool" manifold "${common[@]}" --steps 20 --dims 1,2 --out "$out/manifold.png"
fi
"$tool" curves --csv "$(dirname "$checkpoint")/metrics.csv" --x epoch --y train_loss,test_loss \
    --title "loss per example (nats): train loss and test negative ELBO" --out "$out/curves.png"
split=all
if grep -q -m1 '^[0-9]*,test,' "$latents"; then split=test; fi
"$tool" scatter --latents "$latents" --data "$shards" --split "$split" --max-points 10000 --out "$out/scatter.png"
