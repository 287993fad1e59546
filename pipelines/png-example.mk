# A folder of PNGs given as PNG_ROOT=DIR (class subfolders give labels), 10% held out for testing.
ifeq ($(PNG_ROOT),)
$(error the png-example pipeline needs PNG_ROOT=DIR, a folder of PNGs (class subfolders give labels))
endif
INGEST_ARGS := png --root $(PNG_ROOT) --test-fraction 0.1
INGEST_OPTS := --shard-size 4096 --level 6
TRAIN_OPTS := --hidden 400 --latent 20 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale 2
MANIFOLD := no
