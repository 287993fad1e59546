# Fashion-MNIST, a conditional VAE over its ten named classes.
# q(z|x,y) and p(x|z,y): 784-400-20, Bernoulli, 10 epochs; the generate stage adds the classes
# sheet (one row per class, the same ten codes in every row).
include pipelines/fashion-mnist.mk
TRAIN_OPTS := --conditional --hidden 400 --latent 20 --likelihood bernoulli --epochs 10 --batch-size 128 --lr 0.001 --seed 1
CLASSES := yes
