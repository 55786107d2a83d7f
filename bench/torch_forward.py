#!/usr/bin/env python3
"""Times the reference ResNet generator forward (fp32, no grad) at given sizes; one JSON line each.
The generator is libs/cyclegan/test/fixtures/reference_torch.py's (instance norm, no dropout).
Usage: torch_forward.py DEVICE NGF NBLOCKS ITERS B:H:W [B:H:W ...]"""
import json, os, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'cyclegan', 'test', 'fixtures'))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from reference_torch import resnet_generator  # noqa: E402

dev, ngf, nb, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if dev == 'cuda' and not torch.cuda.is_available(): dev = 'cpu'
if dev == 'cpu': torch.set_num_threads(os.cpu_count() or 1)
sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
torch.backends.cudnn.benchmark = True
g = resnet_generator(3, 3, ngf, nb).to(dev).eval()
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
