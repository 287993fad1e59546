# Fashion-MNIST with a 2-D latent space, so its manifold sheet shows all of it: 784-400-2.
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --hidden 400 --latent 2 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
MANIFOLD := yes
