# Tiny colored shapes (12x12 RGB), 2 epochs: the chain in color.
# 432-32-2, for the tests.
INGEST_ARGS := synthetic --train 512 --test 128 --size 12 --seed 1 --color rgb
INGEST_OPTS := --shard-size 100 --level 6
TRAIN_OPTS := --hidden 32 --latent 2 --likelihood bernoulli --epochs 2 --batch-size 32 --lr 0.003 --seed 1 --checkpoint-every 5
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale 2
MANIFOLD := yes
