#!/usr/bin/env bash
# Scores datasets/models/segmenter with `nightshift evaluate --segmenter <folder>` (the card's input
# size, mean and std) on 60 held-out synthetic scenes (seeds 800000..800059, disjoint from its
# training scenes and from every bench's scenes), 512x256: their day renders, then their true night
# renders with the same labels; then on the real Cityscapes frames of ../shared/data/real/cityscapes
# when they are there. Each evaluation (evaluation.json, evaluation.html) goes to <work>/<set>;
# segmenter-instances.ts says how sure it is of each held-out object by day and by night
# (<work>/instances.md), and segmenter-previews.ts draws its predictions for a few of the frames.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-tmp/segmenter-eval}
model=${2:-datasets/models/segmenter}
real=${REAL_CITYSCAPES:-../shared/data/real/cityscapes}
rm -rf "$work"
ns() { node apps/augment/bin/nightshift.mjs "$@"; }

ns synth --output "$work/heldout-day" --count 60 --seed 800000 --split val --no-faults
mkdir -p "$work/heldout-night"
cp -r "$work/heldout-day/gtFine" "$work/heldout-night/gtFine"
cp -r "$work/heldout-day/leftImg8bit_night" "$work/heldout-night/leftImg8bit"
ns evaluate --dataset "$work/heldout-day" --segmenter "$model" --provider cpu --output "$work/day"
ns evaluate --dataset "$work/heldout-night" --segmenter "$model" --provider cpu --output "$work/night"
if [ -d "$real" ]; then ns evaluate --dataset "$real" --segmenter "$model" --provider cpu --output "$work/real"; fi
node --import tsx datasets/models/segmenter-instances.ts "$model" "$work/heldout-day" "$work/heldout-night" | tee "$work/instances.md"
node --import tsx datasets/models/segmenter-previews.ts "$model" "$work" "$real"
