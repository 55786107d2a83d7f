#!/usr/bin/env python3
"""PyTorch CPU timings for the exact work bench/train-kernels.ts times in tfjs.

Same networks as /work/shared/bench/torch_reference.py, taken from
libs/cyclegan/test/fixtures/reference_torch.py (ResNet generator: reflect pad, InstanceNorm without
affine, ConvTranspose up, tanh; 70x70 PatchGAN; LSGAN + cycle 10 + identity 5; Adam 2e-4, beta1 0.5),
but at ngf 16 / 6 blocks / 128x128 / batch 1 and with 2 threads, as the tfjs bench uses.
Prints one JSON object per line. Usage: /usr/bin/python3 bench/torch_cpu_train.py [ngf] [blocks] [size] [iters] [threads]
"""
import json, os, sys, time
import torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'cyclegan', 'test', 'fixtures'))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from reference_torch import patch_discriminator, resnet_generator  # noqa: E402

ngf = int(sys.argv[1]) if len(sys.argv) > 1 else 16
nb = int(sys.argv[2]) if len(sys.argv) > 2 else 6
S = int(sys.argv[3]) if len(sys.argv) > 3 else 128
iters = int(sys.argv[4]) if len(sys.argv) > 4 else 10
torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
torch.manual_seed(0)

def G(): return resnet_generator(3, 3, ngf, nb)
def D(): return patch_discriminator(3, 64, 3)

def timed(step, warmup=3):
    """Median wall-clock ms and median process CPU ms (summed over threads) after warm-up."""
    ts, cs = [], []
    for i in range(iters + warmup):
        c0 = time.process_time(); t0 = time.perf_counter(); step(); t1 = time.perf_counter(); c1 = time.process_time()
        if i >= warmup: ts.append((t1 - t0) * 1000); cs.append((c1 - c0) * 1000)
    ts.sort(); cs.sort()
    return {'median_ms': round(ts[len(ts) // 2], 1), 'median_cpu_ms': round(cs[len(cs) // 2], 1)}

print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'ngf': ngf, 'blocks': nb, 'size': S}), flush=True)

g = G(); og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
x = torch.rand(1, 3, S, S) * 2 - 1
def g_step():
    og.zero_grad(); l = (g(x) - x).abs().mean(); l.backward(); og.step()
print(json.dumps({'what': 'G train step', **timed(g_step)}), flush=True)

GA, GB, DA, DB = G(), G(), D(), D()
oG = torch.optim.Adam(list(GA.parameters()) + list(GB.parameters()), 2e-4, betas=(0.5, 0.999))
oD = torch.optim.Adam(list(DA.parameters()) + list(DB.parameters()), 2e-4, betas=(0.5, 0.999))
mse, l1 = nn.MSELoss(), nn.L1Loss()
def gan(p, t): return mse(p, torch.full_like(p, 1.0 if t else 0.0))
a = torch.rand(1, 3, S, S) * 2 - 1; b = torch.rand(1, 3, S, S) * 2 - 1
def full_iteration():
    fb, fa = GA(a), GB(b); ra, rb = GB(fb), GA(fa)
    for p in list(DA.parameters()) + list(DB.parameters()): p.requires_grad_(False)
    oG.zero_grad()
    lg = gan(DA(fb), True) + gan(DB(fa), True) + 10 * l1(ra, a) + 10 * l1(rb, b) + 5 * l1(GA(b), b) + 5 * l1(GB(a), a)
    lg.backward(); oG.step()
    for p in list(DA.parameters()) + list(DB.parameters()): p.requires_grad_(True)
    oD.zero_grad()
    ld = 0.5 * (gan(DA(b), True) + gan(DA(fb.detach()), False)) + 0.5 * (gan(DB(a), True) + gan(DB(fa.detach()), False))
    ld.backward(); oD.step()
print(json.dumps({'what': 'full CycleGAN iteration', **timed(full_iteration)}), flush=True)
