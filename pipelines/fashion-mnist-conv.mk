# Fashion-MNIST with the convolutional VAE (channels 32,64, the reference model), Bernoulli, 10 epochs.
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --arch conv --channels 32,64 --latent 20 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
