#!/usr/bin/env bash
# Reproduces datasets/models/default: unpaired synthetic day and night scenes (disjoint seeds), then
# `nightshift train` with the recipe below, then the final generators, config, log, curve and sample
# grid copied into datasets/models/default. About 30-45 minutes on a 2-core machine (wasm backend).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-tmp/default-model}
rm -rf "$work"
ns() { node apps/augment/bin/nightshift.mjs "$@"; }

ns synth --output "$work/day" --count 200 --seed 0 --no-faults
ns synth --output "$work/night" --count 200 --seed 200 --no-faults
ns train --backend wasm --a "$work/day/leftImg8bit" --b "$work/night/leftImg8bit_night" --out "$work/run" \
  --ngf 8 --n-blocks 3 --ndf 16 --preprocess crop --crop-size 128 \
  --n-epochs 3 --n-epochs-decay 2 --checkpoint-every 200 --sample-every 100 --log-every 20 --seed 1

node --import tsx datasets/models/publish-default.ts "$work/run" datasets/models/default
