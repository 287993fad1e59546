# A folder of photos, PHOTOS=DIR (PNG and JPEG): conv VAE, 32x32 RGB (SIZE=64 for 64x64).
# Any size and depth; first-level folders are the classes; broken files are skipped and listed
# (--skip-bad). The convolutional model trains for a budget of optimizer steps, not epochs (a few
# hundred photos make an epoch of a few steps), on mirrored and shifted copies of the training
# images; the choices and their measurements are in docs/METHOD.md ("A recipe for photo folders").
ifeq ($(PHOTOS),)
$(error the photos pipeline needs PHOTOS=DIR, a folder of PNG and JPEG images (first-level folders give labels))
endif
SIZE ?= 32
ifeq ($(SIZE),32)
PHOTO_MODEL := --channels 32,64,128 --latent 64 --steps 2000
else ifeq ($(SIZE),64)
PHOTO_MODEL := --channels 16,32,64,128 --latent 64 --steps 1500
else
$(error SIZE must be 32 or 64, got '$(SIZE)')
endif
INGEST_ARGS := images --root $(PHOTOS) --test-fraction 0.1 --size $(SIZE)x$(SIZE) --fit crop --color rgb --skip-bad
INGEST_OPTS := --shard-size 4096 --level 6
TRAIN_OPTS := --arch conv $(PHOTO_MODEL) --likelihood bernoulli --augment flip,shift:2 --batch-size 64 --lr 0.001 --seed 1
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale $(if $(filter 64,$(SIZE)),2,4)
MANIFOLD := no
