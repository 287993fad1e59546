# Fashion-MNIST, the tightest bound: conv 32,64, latent 32, IWAE training (K=5), VampPrior (100), 20 epochs.
# The recipe of docs/METHOD.md, "A recipe under 234 nats": the importance-weighted bound with
# K = 1000 on the first 1000 test images, which the run reports at its end, is its figure.
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --arch conv --channels 32,64 --latent 32 --likelihood bernoulli --epochs 20 --batch-size 128 --lr 0.001 --seed 1 \
	--objective iwae --train-k 5 --prior vamp --pseudo-inputs 100 --kl-warmup 10% --iwae-k 1000 --iwae-n 1000
PSEUDO_INPUTS := yes
