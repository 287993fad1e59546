# A folder of photos, PHOTOS=DIR (PNG and JPEG), at 32x32 RGB.
# Any size; class subfolders give labels; broken files are skipped and listed (--skip-bad).
ifeq ($(PHOTOS),)
$(error the photos pipeline needs PHOTOS=DIR, a folder of PNG and JPEG images (class subfolders give labels))
endif
INGEST_ARGS := images --root $(PHOTOS) --test-fraction 0.1 --size 32x32 --fit crop --color rgb --skip-bad
INGEST_OPTS := --shard-size 4096 --level 6
TRAIN_OPTS := --hidden 512 --latent 32 --likelihood bernoulli --epochs 20 --batch-size 64 --lr 0.001 --seed 1
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale 4
MANIFOLD := no
