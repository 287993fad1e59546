#!/usr/bin/env bash
# Benchmarks on the full Fashion-MNIST: bench.sh ingest|train|embed BIN_DIR [RUNS]
# Prints each run's figures and their medians. Peak memory is the maximum resident set size that
# GNU time reports. Scratch output goes to a temporary directory, removed at the end.
set -euo pipefail
what=$1 bin=$2 runs=${3:-5}
data=/usr/share/datasets/fashion-mnist
scratch=$(mktemp -d /tmp/vae-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
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
train)
    ingest "$scratch/shards"
    epochs=${EPOCHS:-10}
    timed "$scratch/t" "$bin/vae-train" --data "$scratch/shards" --out "$scratch/run" --epochs "$epochs" --threads 2 --quiet
    echo "vae-train, Fashion-MNIST, 784-400-20, batch 128, $epochs epochs, 2 threads"
    sed -n '/"epoch_seconds"/,/\]/p' "$scratch/run/summary.json" | grep -o '[0-9][0-9.]*' > "$scratch/epochs"
    echo "  epoch seconds:   $(awk '{printf "%.3f ", $1}' "$scratch/epochs")"
    echo "  median epoch s:  $(median < "$scratch/epochs")"
    echo "  fastest epoch s: $(sort -g "$scratch/epochs" | head -1)"
    echo "  examples/second: $(median < "$scratch/epochs" | awk '{printf "%.0f", 60000/$1}')"
    echo "  peak RSS MB:     $(cut -d' ' -f2 "$scratch/t" | awk '{printf "%.1f", $1/1024}')"
    echo "  test -ELBO:      $(grep -o '"test_neg_elbo" *: *[0-9.]*' "$scratch/run/summary.json" | grep -o '[0-9.]*$') nats"
    echo "  phases (s):      $(tr -d '\n ' < "$scratch/run/summary.json" | grep -o '"phase_seconds":{[^}]*}')"
    if [ -f ../shared/reference/gemm_bound.py ] && command -v python3 >/dev/null && python3 -c 'import numpy' 2>/dev/null; then
        echo "  GEMM floor s:    $(python3 ../shared/reference/gemm_bound.py) (../shared/reference/gemm_bound.py, same machine, now)"
    fi
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
*) echo "usage: bench.sh ingest|train|embed BIN_DIR [RUNS]" >&2; exit 2 ;;
esac
