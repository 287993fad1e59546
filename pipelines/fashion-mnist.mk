# Fashion-MNIST, the default: 784-400-20, Bernoulli, 10 epochs.
# The images come from the Debian package dataset-fashion-mnist.
DATA := /usr/share/datasets/fashion-mnist
INGEST_ARGS := idx --images $(DATA)/train-images-idx3-ubyte.gz --labels $(DATA)/train-labels-idx1-ubyte.gz \
	--test-images $(DATA)/t10k-images-idx3-ubyte.gz --test-labels $(DATA)/t10k-labels-idx1-ubyte.gz \
	--label-names pipelines/fashion-mnist-classes.txt
INGEST_OPTS := --shard-size 4096 --level 6
TRAIN_OPTS := --hidden 400 --latent 20 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
EMBED_OPTS := --split all
GENERATE_OPTS := --seed 1 --scale 2
MANIFOLD := no
