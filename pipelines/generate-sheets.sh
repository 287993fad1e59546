#!/usr/bin/env bash
# The generate stage: every sample sheet of one trained model into one directory.
#   [CLASSES=yes] generate-sheets.sh VAE_GENERATE CHECKPOINT SHARDS OUT_DIR MANIFOLD(yes|no) [COMMON OPTIONS...]
# CLASSES=yes (a conditional model) adds the classes sheet: one row per class, 10 columns.
set -euo pipefail
tool=$1 checkpoint=$2 shards=$3 out=$4 manifold=$5
shift 5
common=(--checkpoint "$checkpoint" "$@")
"$tool" samples "${common[@]}" --rows 8 --cols 8 --out "$out/samples.png"
"$tool" reconstructions "${common[@]}" --data "$shards" --split test --count 16 --out "$out/reconstructions.png"
"$tool" traverse "${common[@]}" --data "$shards" --index 0 --steps 11 --range 3 --out "$out/traversal.png"
"$tool" interpolate "${common[@]}" --data "$shards" --from 0 --to 1 --steps 10 --out "$out/interpolation.png"
if [ "${CLASSES:-no}" = yes ]; then
    "$tool" classes "${common[@]}" --cols 10 --out "$out/classes.png"
fi
if [ "$manifold" = yes ]; then
    "$tool" manifold "${common[@]}" --steps 20 --dims 1,2 --out "$out/manifold.png"
fi
