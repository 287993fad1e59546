#!/usr/bin/env bash
# Benchmarks on the full Fashion-MNIST: bench.sh ingest|train|train-conv|embed BIN_DIR [RUNS];
# and train-photos: the 64x64 RGB conv model on generated photos.
# Prints each run's figures and their medians. Peak memory is the maximum resident set size that
# GNU time reports. The training benchmarks also print the floor of an epoch: its matrix products
# at the sgemm rate of this machine, measured by vae-bench right after the run (same OpenBLAS,
# same threads), and the median epoch's ratio to it. Scratch output goes to a temporary
# directory, removed at the end. The training benchmarks end with the step time of the two ways of
# using the threads (vae-bench --split batch|products), alternated, three times each, and the time
# of the batch-split step's matrix products alone (each thread its slice's products).
set -euo pipefail
what=$1 bin=$2 runs=${3:-5}
data=/usr/share/datasets/fashion-mnist
scratch=$(mktemp -d /tmp/vae-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

source "$(dirname "$0")/bench-lib.sh"
timed() { # timed OUTFILE CMD...: wall seconds and peak KB into OUTFILE
    local out=$1; shift
    /usr/bin/time -f '%e %M' -o "$out" "$@"
}
ingest() { # ingest OUT_DIR [PREFIX...]: the full Fashion-MNIST into OUT_DIR, run under PREFIX
    local out=$1; shift
    "$@" "$bin/vae-ingest" idx --images $data/train-images-idx3-ubyte.gz --labels $data/train-labels-idx1-ubyte.gz \
        --test-images $data/t10k-images-idx3-ubyte.gz --test-labels $data/t10k-labels-idx1-ubyte.gz \
        --out "$out" --force --quiet
}

case $what in
ingest)
    : > "$scratch/ingest" ; : > "$scratch/verify"
    for i in $(seq "$runs"); do
        ingest "$scratch/shards" timed "$scratch/t"; cat "$scratch/t" >> "$scratch/ingest"
        timed "$scratch/t" "$bin/vae-ingest" verify "$scratch/shards" --quiet; cat "$scratch/t" >> "$scratch/verify"
    done
    echo "ingest of 70000 Fashion-MNIST images from gzipped IDX to shards, $runs runs"
    echo "  wall seconds:    $(cut -d' ' -f1 "$scratch/ingest" | tr '\n' ' ')-> median $(cut -d' ' -f1 "$scratch/ingest" | median)"
    echo "  records/second:  median $(cut -d' ' -f1 "$scratch/ingest" | median | awk '{printf "%.0f", 70000/$1}')"
    echo "  peak RSS MB:     median $(cut -d' ' -f2 "$scratch/ingest" | median | awk '{printf "%.1f", $1/1024}')"
    echo "verify: wall seconds $(cut -d' ' -f1 "$scratch/verify" | tr '\n' ' ')-> median $(cut -d' ' -f1 "$scratch/verify" | median)"
    ;;
train|train-conv)
    ingest "$scratch/shards"
    if [ "$what" = train ]; then
        epochs=${EPOCHS:-10} model=(--hidden 400) name="784-400-20"
    else
        epochs=${EPOCHS:-3} model=(--arch conv --channels 32,64) name="conv 32,64 (the reference conv VAE), latent 20"
    fi
    "$bin/vae-bench" --threads 2 > "$scratch/floor-before"
    timed "$scratch/t" "$bin/vae-train" --data "$scratch/shards" --out "$scratch/run" --epochs "$epochs" --threads 2 --quiet "${model[@]}"
    echo "vae-train, Fashion-MNIST, $name, batch 128, $epochs epochs, 2 threads, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    jq -r '.epoch_seconds[]' "$scratch/run/summary.json" > "$scratch/epochs"
    echo "  epoch seconds:   $(awk '{printf "%.3f ", $1}' "$scratch/epochs")"
    echo "  median epoch s:  $(median < "$scratch/epochs")"
    echo "  fastest epoch s: $(sort -g "$scratch/epochs" | head -1)"
    echo "  examples/second: $(median < "$scratch/epochs" | awk '{printf "%.0f", 60000/$1}')"
    echo "  peak RSS MB:     $(cut -d' ' -f2 "$scratch/t" | awk '{printf "%.1f", $1/1024}')"
    echo "  test -ELBO:      $(jq -r .test_neg_elbo "$scratch/run/summary.json") nats"
    echo "  phases (s):      $(jq -c .phase_seconds "$scratch/run/summary.json")"
    "$bin/vae-bench" --checkpoint "$scratch/run/model.ckpt" --examples 60000 --threads 2 > "$scratch/floor"
    rate=$(awk '$1 == "sgemm_gflops" {s += $2; n++} END {printf "%.1f", s / n}' "$scratch/floor-before" "$scratch/floor")
    gflop=$(awk '$1 == "epoch_gflop" {print $2}' "$scratch/floor")
    floor=$(awk -v g="$gflop" -v r="$rate" 'BEGIN {printf "%.3f", g / r}')
    echo "  sgemm GFLOP/s:   $rate (2048^3 cblas_sgemm on 2 threads by vae-bench, mean of before and after the run:" \
        "$(awk '$1 == "sgemm_gflops" {printf "%s ", $2}' "$scratch/floor-before" "$scratch/floor"))"
    echo "  epoch GFLOP:     $gflop (the matrix products of one epoch, forward and backward)"
    echo "  floor epoch s:   $floor"
    echo "  median / floor:  $(median < "$scratch/epochs" | awk -v f="$floor" '{printf "%.2f", $1 / f}')"
    # The two ways of using the threads, alternated in the same minutes: each thread a slice of the
    # batch (what vae-train does) against one pass whose matrix products OpenBLAS splits.
    for i in 1 2 3; do
        for split in batch products; do
            "$bin/vae-bench" --checkpoint "$scratch/run/model.ckpt" --steps "${STEPS:-200}" --threads 2 --split $split \
                --size 256 --repeats 1 > "$scratch/bench"
            awk '$1 == "step_seconds" {print $2}' "$scratch/bench" >> "$scratch/steps-$split"
            awk '$1 == "product_seconds" {print $2}' "$scratch/bench" >> "$scratch/products"
        done
    done
    for split in batch products; do
        echo "  step s, $split split: $(tr '\n' ' ' < "$scratch/steps-$split")-> median $(median < "$scratch/steps-$split")"
    done
    # The products alone of a batch-split step (each thread its slice's products, one-thread
    # OpenBLAS): what the step would cost with nothing else in it, and per epoch (60,000 examples
    # in batches of 128: 469 steps).
    products=$(median < "$scratch/products")
    epoch=$(awk -v p="$products" 'BEGIN {printf "%.3f", p * int((60000 + 127) / 128)}')
    echo "  step s, products alone: $(tr '\n' ' ' < "$scratch/products")-> median $products"
    echo "  products alone epoch s: $epoch ($(awk -v e="$epoch" -v f="$floor" 'BEGIN {printf "%.2f", e / f}') x the floor)"
    ;;
train-photos)
    # 2,000 generated photos (cached beside the photos benchmark's), 64x64 RGB; the photo model
    # of PyTorch's reference at that size: channels 32,64,128,256, latent 64, batch 64.
    cache=${PHOTO_CACHE:-artifacts/bench-photos-2000}
    if [ ! -f "$cache/.complete" ]; then
        rm -rf "$cache"
        "$bin/vae-ingest" make-photos --out "$cache" --count 2000 --classes 10 --size 160x120 --quality 90
        touch "$cache/.complete"
    fi
    "$bin/vae-ingest" images --root "$cache" --size 64x64 --color rgb --test-fraction 0.1 --out "$scratch/shards" --force --quiet
    steps=${STEPS:-300}
    : > "$scratch/rates"
    for i in $(seq "$runs"); do
        "$bin/vae-train" --data "$scratch/shards" --out "$scratch/run" --force --arch conv --channels 32,64,128,256 --latent 64 \
            --batch-size 64 --steps "$steps" --threads 2 --quiet 2> /dev/null
        # Training time only (the epochs' seconds, without the test evaluations).
        jq -r --argjson s "$steps" '($s / (.epoch_seconds | add))' "$scratch/run/summary.json" >> "$scratch/rates"
    done
    echo "vae-train, 64x64 RGB conv 32,64,128,256, latent 64, batch 64, $steps steps, 2 threads, $runs runs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  steps/second:    $(awk '{printf "%.2f ", $1}' "$scratch/rates")-> median $(median < "$scratch/rates" | awk '{printf "%.2f", $1}')"
    echo "  images/second:   median $(median < "$scratch/rates" | awk '{printf "%.0f", $1 * 64}')"
    "$bin/vae-bench" --checkpoint "$scratch/run/model.ckpt" --examples 64 --threads 2 > "$scratch/floor"
    echo "  floor step s:    $(awk '$1 == "floor_seconds" {print $2}' "$scratch/floor") (its matrix products at the sgemm rate, $(awk '$1 == "sgemm_gflops" {print $2}' "$scratch/floor") GFLOP/s)"
    echo "  step / floor:    $(median < "$scratch/rates" | awk -v f="$(awk '$1 == "floor_seconds" {print $2}' "$scratch/floor")" '{printf "%.2f", 1 / $1 / f}')"
    ;;
embed)
    ingest "$scratch/shards"
    "$bin/vae-train" --data "$scratch/shards" --out "$scratch/run" --epochs 1 --threads 2 --quiet
    : > "$scratch/embed"
    for i in $(seq "$runs"); do
        timed "$scratch/t" "$bin/vae-embed" --checkpoint "$scratch/run/model.ckpt" --data "$scratch/shards" --split all --out "$scratch/latents.csv"
        cat "$scratch/t" >> "$scratch/embed"
    done
    echo "vae-embed of 70000 Fashion-MNIST examples (784-400-20), $runs runs"
    echo "  wall seconds:    $(cut -d' ' -f1 "$scratch/embed" | tr '\n' ' ')-> median $(cut -d' ' -f1 "$scratch/embed" | median)"
    echo "  peak RSS MB:     median $(cut -d' ' -f2 "$scratch/embed" | median | awk '{printf "%.1f", $1/1024}')"
    ;;
*) echo "usage: bench.sh ingest|train|train-conv|train-photos|embed BIN_DIR [RUNS]" >&2; exit 2 ;;
esac
