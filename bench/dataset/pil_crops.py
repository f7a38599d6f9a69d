"""Peer for bench/dataset/load-crops.bench.mjs: the same crops with Pillow (as a torchvision pipeline would).

Reads the JSON list of {path, box|null} on stdin, decodes each photo once, crops each box with margin (squared,
clipped), resizes to SIZE x SIZE (bilinear) and prints one JSON line {faces, seconds}.
"""
import json
import math
import sys
import time

from PIL import Image

size = int(sys.argv[1])
margin = float(sys.argv[2])
items = json.load(sys.stdin)
by_path = {}
for it in items:
    by_path.setdefault(it["path"], []).append(it.get("box"))

start = time.perf_counter()
faces = 0
checksum = 0
for path, boxes in by_path.items():
    img = Image.open(path).convert("RGB")
    w, h = img.size
    for box in boxes:
        if box is None:
            crop = img
        else:
            bw, bh = box["width"] * (1 + 2 * margin), box["height"] * (1 + 2 * margin)
            side = max(bw, bh)
            cx = box["x"] + box["width"] / 2
            cy = box["y"] + box["height"] / 2
            x0, y0 = max(0, math.floor(cx - side / 2)), max(0, math.floor(cy - side / 2))
            x1, y1 = min(w, math.ceil(cx + side / 2)), min(h, math.ceil(cy + side / 2))
            crop = img.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))
        out = crop.resize((size, size), Image.BILINEAR)
        checksum += out.tobytes()[0]
        faces += 1
print(json.dumps({"faces": faces, "seconds": time.perf_counter() - start}))
