#!/usr/bin/env bash
# Photo and streaming benchmarks: bench-photos.sh photos|million BIN_DIR [RUNS]
#   photos   10,000 generated 640x480 JPEGs (quality 90) in 10 class folders, made once and cached
#            (PHOTO_CACHE, default artifacts/bench-photos), ingested with --size 64x64 --color rgb.
#   million  a generated IDX file of 1,000,000 28x28 images (Fashion-MNIST's training images
#            repeated), made once and cached (IDX_CACHE, default /tmp/vae-bench-idx-1m), ingested
#            raw: the memory of a streamed ingest at any dataset size.
# Prints each run's figures and their medians; peak memory is GNU time's maximum resident set
# size (of the largest process), "cores busy" (user + system CPU seconds) / wall seconds. Scratch
# output is removed at the end. LAUNCH (e.g. "mpirun -np 2") prefixes the photos ingest: the ranks
# share it, and the thread seconds are summed over the ranks.
set -euo pipefail
what=$1 bin=$2 runs=${3:-3}
scratch=$(mktemp -d /tmp/vae-bench-photos.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

source "$(dirname "$0")/bench-lib.sh"
timed() { # timed OUTFILE CMD...: wall seconds, peak KB, user and system seconds into OUTFILE
    local out=$1; shift
    /usr/bin/time -f '%e %M %U %S' -o "$out" "$@"
}
column() { cut -d' ' -f"$1" "$scratch/runs" | median; }

case $what in
photos)
    cache=${PHOTO_CACHE:-artifacts/bench-photos}
    if [ ! -f "$cache/.complete" ]; then
        echo "making 10000 photos of 640x480 in $cache (once)"
        rm -rf "$cache"
        "$bin/vae-ingest" make-photos --out "$cache" --count 10000 --classes 10 --size 640x480 --quality 90
        touch "$cache/.complete"
    fi
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    # The floor: reading every file once (from the page cache after the first run).
    : > "$scratch/floor"
    : > "$scratch/runs"
    for i in $(seq "$runs"); do
        timed "$scratch/t" bash -c "cat '$cache'/class-*/*.jpg > /dev/null"; cut -d' ' -f1 "$scratch/t" >> "$scratch/floor"
        # shellcheck disable=SC2086
        timed "$scratch/t" ${LAUNCH:-} "$bin/vae-ingest" images --root "$cache" --out "$scratch/shards" --size 64x64 --color rgb \
            --force --quiet --phases 2> "$scratch/phases"
        # One "phases" line per rank: the read, decode, resize and compress seconds, summed.
        echo "$(cat "$scratch/t") $(grep '^phases' "$scratch/phases" | awk '{for (i = 1; i <= NF; i++) if ($i == "s") { k++; t[k % 4] += $(i - 1) }} END {print t[1], t[2], t[3], t[0]}')" >> "$scratch/runs"
        grep '^phases' "$scratch/phases"
    done
    echo "${LAUNCH:+$LAUNCH }vae-ingest images, 10000 JPEGs 640x480 q90 -> 64x64 RGB shards, $runs runs, $(nproc) cores, load average before: $load"
    echo "  wall seconds:    $(cut -d' ' -f1 "$scratch/runs" | tr '\n' ' ')-> median $(column 1)"
    echo "  images/second:   median $(column 1 | awk '{printf "%.0f", 10000/$1}')"
    echo "  peak RSS MB:     median $(column 2 | awk '{printf "%.1f", $1/1024}')"
    echo "  cores busy:      median $(awk '{printf "%.2f\n", ($3+$4)/$1}' "$scratch/runs" | median) of $(nproc)"
    total=$(awk '{print $5+$6+$7+$8}' "$scratch/runs" | median)
    echo "  thread seconds:  read+hash $(column 5), decode $(column 6), resize $(column 7), compress $(column 8) (medians)"
    echo "  shares:          $(awk -v t="$total" 'BEGIN{}{r+=$5;d+=$6;z+=$7;c+=$8} END {s=r+d+z+c; printf "read+hash %.0f%%, decode %.0f%%, resize %.0f%%, compress %.0f%%", 100*r/s, 100*d/s, 100*z/s, 100*c/s}' "$scratch/runs")"
    echo "  floor (cat of every file) wall seconds: median $(median < "$scratch/floor")"
    echo "  shards MB:       $(du -sm "$scratch/shards" | cut -f1)"
    ;;
million)
    cache=${IDX_CACHE:-/tmp/vae-bench-idx-1m}
    source=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
    if [ ! -f "$cache/.complete" ]; then
        echo "making an IDX file of 1000000 images of 28x28 in $cache (once)"
        mkdir -p "$cache"
        # 16-byte header (1000000 x 28 x 28), then the 60000 training images over and over; head
        # closes the pipe when it has enough, which the writers see as SIGPIPE: the size decides.
        { printf '\x00\x00\x08\x03\x00\x0f\x42\x40\x00\x00\x00\x1c\x00\x00\x00\x1c'
          for i in $(seq 17); do gunzip -c "$source" | tail -c +17; done; } | head -c 784000016 > "$cache/images.idx" || true
        [ "$(stat -c %s "$cache/images.idx")" = 784000016 ] || { echo "could not make $cache/images.idx" >&2; exit 1; }
        touch "$cache/.complete"
    fi
    : > "$scratch/runs"
    for i in $(seq "$runs"); do
        timed "$scratch/t" "$bin/vae-ingest" idx --images "$cache/images.idx" --out "$scratch/shards" --force --quiet
        cat "$scratch/t" >> "$scratch/runs"
    done
    echo "vae-ingest idx, 1000000 images of 28x28 (784 MB raw IDX) -> shards, $runs runs"
    echo "  wall seconds:    $(cut -d' ' -f1 "$scratch/runs" | tr '\n' ' ')-> median $(column 1)"
    echo "  records/second:  median $(column 1 | awk '{printf "%.0f", 1000000/$1}')"
    echo "  peak RSS MB:     $(cut -d' ' -f2 "$scratch/runs" | awk '{printf "%.1f ", $1/1024}')-> median $(column 2 | awk '{printf "%.1f", $1/1024}')"
    echo "  cores busy:      median $(awk '{printf "%.2f\n", ($3+$4)/$1}' "$scratch/runs" | median) of $(nproc)"
    ;;
*) echo "usage: bench-photos.sh photos|million BIN_DIR [RUNS]" >&2; exit 2 ;;
esac
