#!/usr/bin/env python3
"""Times the reference ResNet generator forward (fp32, no grad) at given sizes; one JSON line each.
Usage: torch_forward.py DEVICE NGF NBLOCKS ITERS B:H:W [B:H:W ...]"""
import json, os, sys, time
import torch, torch.nn as nn

class RB(nn.Module):
    def __init__(s, d):
        super().__init__()
        s.b = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(d, d, 3), nn.InstanceNorm2d(d), nn.ReLU(True),
                            nn.ReflectionPad2d(1), nn.Conv2d(d, d, 3), nn.InstanceNorm2d(d))
    def forward(s, x): return x + s.b(x)

def G(ngf, nb):
    L = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
    for i in range(2):
        m = 2 ** i; L += [nn.Conv2d(ngf * m, ngf * m * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * m * 2), nn.ReLU(True)]
    L += [RB(ngf * 4) for _ in range(nb)]
    for i in range(2):
        m = 2 ** (2 - i); L += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, 2, 1, 1), nn.InstanceNorm2d(ngf * m // 2), nn.ReLU(True)]
    L += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    return nn.Sequential(*L)

dev, ngf, nb, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if dev == 'cuda' and not torch.cuda.is_available(): dev = 'cpu'
if dev == 'cpu': torch.set_num_threads(os.cpu_count() or 1)
sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
torch.backends.cudnn.benchmark = True
g = G(ngf, nb).to(dev).eval()
name = torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu'
for spec in sys.argv[5:]:
    b, h, w = map(int, spec.split(':'))
    x = torch.rand(b, 3, h, w, device=dev) * 2 - 1
    ts = []
    with torch.no_grad():
        for i in range(iters + 1):
            sync(); t0 = time.perf_counter(); y = g(x); y.cpu(); sync(); t1 = time.perf_counter()
            if i >= 1: ts.append((t1 - t0) * 1000)
    ts.sort()
    print(json.dumps({'engine': f'torch {torch.__version__} {name}', 'B': b, 'H': h, 'W': w, 'median_ms': round(ts[len(ts) // 2], 2)}), flush=True)
