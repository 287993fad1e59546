# Fashion-MNIST, 5 epochs once per gradient estimator.
# The three runs (reparameterization, score function, score function with a baseline)
# measure the encoder gradient's variance under every estimator every 100 steps
# (pipelines/train-estimators.sh runs the three as this pipeline's one train stage). The later
# stages use the reparameterization run; the generate stage adds variance.png, the encoder's
# gradient variance by estimator against step.
include pipelines/fashion-mnist.mk
TRAIN_TOOL = pipelines/train-estimators.sh $(BIN)/vae-train
TRAIN_OPTS := --hidden 400 --latent 20 --likelihood bernoulli --epochs 5 --batch-size 128 --lr 0.001 --seed 1 \
	--gradient-variance-every 100 --gradient-variance-draws 20
VARIANCE := yes
