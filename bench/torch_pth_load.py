#!/usr/bin/env python3
"""Writes the reference ResNet-9 generator (ngf 64, random weights: 11.4 M parameters, 45 MB) with
torch.save in both serialisations into DIR, then times torch.load of each (and load_state_dict into
the network), RUNS times after one warm-up; prints one JSON line per file.
Usage: torch_pth_load.py DIR RUNS"""
import json, os, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'cyclegan', 'test', 'fixtures'))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from reference_torch import resnet_generator  # noqa: E402

folder, runs = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
torch.manual_seed(0)
net = resnet_generator(3, 3, 64, 9).eval()
for name, legacy in [('resnet9_ngf64.pth', False), ('resnet9_ngf64_legacy.pth', True)]:
    path = os.path.join(folder, name)
    torch.save(net.state_dict(), path, _use_new_zipfile_serialization=not legacy)
    load, into = [], []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        sd = torch.load(path, map_location='cpu')
        t1 = time.perf_counter()
        net.load_state_dict(sd, strict=True)
        t2 = time.perf_counter()
        if i > 0:
            load.append((t1 - t0) * 1000)
            into.append((t2 - t0) * 1000)
    load.sort()
    into.sort()
    print(json.dumps({'file': name, 'bytes': os.path.getsize(path), 'torch': torch.__version__,
                      'load_ms': round(load[len(load) // 2], 1), 'load_into_net_ms': round(into[len(into) // 2], 1)}), flush=True)
