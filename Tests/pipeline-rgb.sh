#!/usr/bin/env bash
# The color smoke pipeline (pipelines/smoke-rgb.mk) end to end through the Makefile: colored
# shapes into 3-channel shards, an RGB model, latents, and RGB sample sheets (PNG color type 2).
set -uo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d /tmp/vae-pipeline-rgb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok: $what"
    else failed=$((failed + 1)); echo "FAILED: $what"; fi
}
A=$scratch/a
make --no-print-directory PIPELINE=smoke-rgb ARTIFACTS=$A > "$scratch/make.log" 2>&1
check "make PIPELINE=smoke-rgb succeeds" grep -q "pipeline smoke-rgb: done" "$scratch/make.log"
check "the shards have 3 channels" bash -c ".build/release/vae-ingest info --json '$A/smoke-rgb/latest/ingest' | jq -e '.image.channels == 3'"
check "the checkpoint records 3 channels" grep -aq '"imageChannels":3' "$A/smoke-rgb/latest/train/model.ckpt"
check "latents.csv has a header and 640 rows" test "$(wc -l < "$A/smoke-rgb/latest/latents.csv")" = 641
for sheet in samples reconstructions traversal interpolation manifold; do
    # Byte 25 of a PNG is the IHDR color type: 2 is RGB.
    check "latest/$sheet.png is an RGB PNG" bash -c "test \"\$(od -An -tu1 -j25 -N1 '$A/smoke-rgb/latest/$sheet.png' | tr -d ' ')\" = 2"
done
echo "pipeline-rgb: $passed passed, $failed failed"
[ "$failed" = 0 ]
