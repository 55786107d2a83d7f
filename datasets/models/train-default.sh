#!/usr/bin/env bash
# Reproduces datasets/models/default: unpaired synthetic day and night scenes (disjoint seeds), then
# `nightshift train` with the recipe below (the structure-preserving bilateral generator,
# docs/bilateral-generator.md), then the final generators, config, log, curve and sample grid copied
# into datasets/models/default. 1000 iterations on whole 256x128 images; 21 minutes of wall time
# (18 minutes of CPU) on the 2-core machine under a load average of 4-7 (2026-12-07), wasm backend.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-tmp/default-model}
rm -rf "$work"
ns() { node apps/augment/bin/nightshift.mjs "$@"; }

ns synth --output "$work/day" --count 200 --seed 0 --no-faults
ns synth --output "$work/night" --count 200 --seed 200 --no-faults
ns train --backend wasm --generator bilateral --a "$work/day/leftImg8bit" --b "$work/night/leftImg8bit_night" --out "$work/run" \
  --ngf 16 --n-blocks 2 --ndf 32 --preprocess scale_width --load-size 256 --crop-size 128 --lambda-identity 0 \
  --n-epochs 3 --n-epochs-decay 2 --checkpoint-every 100 --sample-every 50 --log-every 10 --seed 1

node --import tsx datasets/models/publish-default.ts "$work/run" datasets/models/default
