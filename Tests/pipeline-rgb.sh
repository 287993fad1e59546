#!/usr/bin/env bash
# The color pipelines end to end through the Makefile:
#   - smoke-rgb: colored shapes into 3-channel shards, an RGB model, latents, and RGB sample
#     sheets (PNG color type 2);
#   - photos: a folder of JPEGs of two sizes, a gray PNG, a truncated JPEG and a stray file, with
#     --skip-bad, into 32x32 RGB shards (the bad file listed, the stray one counted) and RGB sheets;
#   - photos on a folder of 3 JPEGs (1 test image): the sheets take their examples from the train
#     split, as many as it has.
set -uo pipefail
cd "$(dirname "$0")/.."
. Tests/pipeline-lib.sh pipeline-rgb
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
P=$scratch/photos
.build/release/vae-ingest make-photos --out "$P" --count 240 --classes 3 --size 96x72
.build/release/vae-ingest make-photos --out "$scratch/big" --count 6 --classes 3 --size 200x300
for c in 0 1 2; do cp "$scratch/big/class-$c/photo-0000$c.jpg" "$P/class-$c/tall-$c.JPEG"; done
cp docs/samples.png "$P/class-0/gray.png"
head -c 2000 "$P/class-1/photo-00001.jpg" > "$P/class-1/cut.jpg"
echo notes > "$P/class-2/README.txt"
make --no-print-directory PIPELINE=photos PHOTOS="$P" ARTIFACTS=$A > "$scratch/photos.log" 2>&1
check "make PIPELINE=photos succeeds" grep -q "pipeline photos: done" "$scratch/photos.log"
I=$A/photos/latest/ingest
check "photos: 32x32 RGB shards of the 244 good images" bash -c ".build/release/vae-ingest info --json '$I' | jq -e '.image == {channels: 3, height: 32, width: 32} and .train.count + .test.count == 244'"
check "photos: the truncated JPEG is listed as skipped" bash -c "jq -e '.skipped == [{path: \"class-1/cut.jpg\", reason: \"truncated JPEG: Premature end of JPEG file\"}]' '$I/manifest.json'"
check "photos: the stray file is counted" bash -c "jq -e '.stray_files == 1' '$I/manifest.json'"
for sheet in samples reconstructions; do
    check "photos: $sheet.png is an RGB PNG" bash -c "test \"\$(od -An -tu1 -j25 -N1 '$A/photos/latest/$sheet.png' | tr -d ' ')\" = 2"
done
T=$scratch/tiny
.build/release/vae-ingest make-photos --out "$T" --count 3 --classes 1 --size 40x30
make --no-print-directory PIPELINE=photos PHOTOS="$T" ARTIFACTS=$scratch/t > "$scratch/tiny.log" 2>&1
check "photos, 3 images: make succeeds (the sheets take as many examples as there are)" \
    grep -q "pipeline photos: done" "$scratch/tiny.log"
check "photos, 3 images: one test image, two train images" \
    jq -e '.test.count == 1 and .train.count == 2' "$scratch/t/photos/latest/ingest/manifest.json"
for sheet in reconstructions traversal interpolation scatter; do
    check "photos, 3 images: $sheet.png is a PNG" \
        bash -c "head -c 8 '$scratch/t/photos/latest/$sheet.png' | od -An -tx1 | grep -q '89 50 4e 47'"
done
summary pipeline-rgb
