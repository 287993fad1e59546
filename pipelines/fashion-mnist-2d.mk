# Fashion-MNIST with a 2-D latent space, so the manifold sheet shows all of it: 784-400-2.
DATA := /usr/share/datasets/fashion-mnist
INGEST_ARGS := idx --images $(DATA)/train-images-idx3-ubyte.gz --labels $(DATA)/train-labels-idx1-ubyte.gz \
	--test-images $(DATA)/t10k-images-idx3-ubyte.gz --test-labels $(DATA)/t10k-labels-idx1-ubyte.gz
INGEST_OPTS := --shard-size 4096 --level 6
TRAIN_OPTS := --hidden 400 --latent 2 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale 2
MANIFOLD := yes
