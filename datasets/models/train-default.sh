#!/usr/bin/env bash
# Reproduces datasets/models/default: unpaired synthetic day and night scenes (disjoint seeds), then
# `nightshift train` with the recipe below (the structure-preserving bilateral generator, its curves
# started at the unpaired tone prior of the two folders and held near it by --lambda-prior:
# docs/bilateral-generator.md), the 1000-iteration schedule stopped after 20 iterations, a checkpoint
# every iteration (the GAN moves day→night away from the prior from its first steps); then each
# generator's checkpoint chosen on paired validation scenes (choose-checkpoints.ts) and copied with config, log,
# curve and sample grid into datasets/models/default. Whole 256x128 images, wasm backend; the times
# are in datasets/models/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-tmp/default-model}
rm -rf "$work"
ns() { node apps/augment/bin/nightshift.mjs "$@"; }

ns synth --output "$work/day" --count 200 --seed 0 --no-faults
ns synth --output "$work/night" --count 200 --seed 200 --no-faults
ns train --backend wasm --generator bilateral --a "$work/day/leftImg8bit" --b "$work/night/leftImg8bit_night" --out "$work/run" \
  --ngf 16 --n-blocks 2 --ndf 32 --preprocess scale_width --load-size 256 --crop-size 128 --lambda-identity 0 --lambda-prior 4 \
  --n-epochs 3 --n-epochs-decay 2 --max-iterations 20 --checkpoint-every 1 --sample-every 1 --log-every 1 --seed 1

node --import tsx datasets/models/choose-checkpoints.ts "$work/run"

node --import tsx datasets/models/publish-default.ts "$work/run" datasets/models/default
