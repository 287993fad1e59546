# Fashion-MNIST in a 2-D latent space: 784-400-2, 10 epochs.
# Its manifold sheet shows all of the latent space.
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --hidden 400 --latent 2 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
MANIFOLD := yes
