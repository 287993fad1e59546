# Fashion-MNIST, the convolutional VAE (32,64), 10 epochs.
# Channels 32,64, latent 20, Bernoulli: the model of PyTorch's convolutional reference.
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --arch conv --channels 32,64 --latent 20 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
