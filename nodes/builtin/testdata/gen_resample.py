#!/usr/bin/env python3
"""Generate resample_goldens.json: torch.nn.functional.interpolate and
Pillow LANCZOS outputs for small tensors, the references for resample_test.go.

Run with Debian's python3-torch (1.13) and python3-pil (9.4):
    /usr/bin/python3 gen_resample.py > resample_goldens.json
"""
import json

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

torch.manual_seed(1234)
SIZES = [(5, 7), (10, 14), (3, 4), (8, 11), (2, 13), (1, 1), (13, 2)]


def interp_cases():
    x = torch.rand(1, 2, 5, 7, dtype=torch.float32) * 4 - 2
    cases = []
    for mode in ["nearest-exact", "bilinear", "bicubic", "area"]:
        for h, w in SIZES:
            y = F.interpolate(x, size=(h, w), mode=mode)
            cases.append({"method": mode, "height": h, "width": w, "output": y.flatten().tolist()})
    return {"shape": list(x.shape), "input": x.flatten().tolist(), "cases": cases}


def lanczos_cases():
    # Values slightly outside 0..1 exercise the clip before the uint8 cast.
    x = torch.rand(1, 3, 6, 9, dtype=torch.float32) * 1.2 - 0.1
    cases = []
    for h, w in SIZES + [(6, 9), (6, 20), (15, 9)]:
        arr = np.clip(255. * x[0].movedim(0, -1).numpy(), 0, 255).astype(np.uint8)
        img = Image.fromarray(arr).resize((w, h), resample=Image.Resampling.LANCZOS)
        y = torch.from_numpy(np.array(img).astype(np.float32) / 255.0).movedim(-1, 0)
        cases.append({"method": "lanczos", "height": h, "width": w, "output": y.flatten().tolist()})
    return {"shape": list(x.shape), "input": x.flatten().tolist(), "cases": cases}


print(json.dumps({"interpolate": interp_cases(), "lanczos": lanczos_cases()}))
