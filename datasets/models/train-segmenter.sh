#!/usr/bin/env bash
# Reproduces datasets/models/segmenter: 400 synthetic scenes (seeds 700000..700399: disjoint from the
# default generator's training seeds 0..399, the consistency bench's calibration seeds 1000..1299 and
# test seeds 500000..500099, and the default-model bench's held-out 500000..500049 and validation
# 400000.. scenes), their day and true night renders at 512x256 with exact labels, then
# train-segmenter.ts with the recipe below, on the wasm backend.
# The held-out scenes the README scores it on are seeds 800000..800059 (see its command).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-tmp/segmenter-model}
target=${2:-datasets/models/segmenter}
rm -rf "$work"
ns() { node apps/augment/bin/nightshift.mjs "$@"; }

ns synth --output "$work/train" --count 400 --seed 700000 --no-faults
node --import tsx datasets/models/train-segmenter.ts --data "$work/train" --out "$target" \
  --input 256x128 --width 12 --depth 4 --steps 640 --batch 4 --lr 0.005 --warmup 30 --zoom 1.5 --weight-c 1.02 --seed 1
