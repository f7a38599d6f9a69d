#!/usr/bin/env python3
"""PyTorch side of bench/classifier-vs-pytorch.mjs: the same student network, rebuilt layer by layer from the
fp32 ONNX file's graph and weights, timed on request. Protocol: one JSON object per line on stdin/stdout.
Needs Debian python3-torch and python3-onnx (run with /usr/bin/python3)."""
import json
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class Flatten1(torch.nn.Module):
    def forward(self, x):
        return torch.flatten(x, 1)


def build(path):
    """Chain graphs only (what the student is): each node consumes the previous node's output."""
    model = onnx.load(path)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    layers = []
    for node in model.graph.node:
        op = node.op_type
        if op == "Conv":
            w = inits[node.input[1]]
            b = inits[node.input[2]] if len(node.input) > 2 else None
            pads = attr(node, "pads", [0, 0, 0, 0])
            conv = torch.nn.Conv2d(w.shape[1] * attr(node, "group", 1), w.shape[0], tuple(w.shape[2:]),
                                   stride=tuple(attr(node, "strides", [1, 1])), padding=(pads[0], pads[1]),
                                   groups=attr(node, "group", 1), bias=b is not None)
            conv.weight.data.copy_(w)
            if b is not None:
                conv.bias.data.copy_(b)
            layers.append(conv)
        elif op == "LeakyRelu":
            layers.append(torch.nn.LeakyReLU(attr(node, "alpha", 0.01)))
        elif op == "Relu":
            layers.append(torch.nn.ReLU())
        elif op == "MaxPool":
            layers.append(torch.nn.MaxPool2d(tuple(attr(node, "kernel_shape")), tuple(attr(node, "strides"))))
        elif op == "GlobalAveragePool":
            layers.append(torch.nn.AdaptiveAvgPool2d(1))
        elif op == "Flatten":
            layers.append(Flatten1())
        elif op == "Gemm":
            w = inits[node.input[1]]
            if attr(node, "transB", 0) == 0:
                w = w.t()
            lin = torch.nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data.copy_(w)
            lin.bias.data.copy_(inits[node.input[2]])
            layers.append(lin)
        else:
            raise SystemExit(f"unsupported op for the PyTorch twin: {op}")
    return torch.nn.Sequential(*layers).eval()


def main():
    net = build(sys.argv[1])
    size = int(sys.argv[2])
    params = sum(p.numel() for p in net.parameters())
    out = {"ready": True, "torch": torch.__version__, "params": params, "layers": len(net)}
    if len(sys.argv) > 4:  # parity: raw float32 input file + ORT's output file
        x = torch.from_numpy(np.fromfile(sys.argv[3], dtype=np.float32).reshape(-1, 3, size, size))
        ref = np.fromfile(sys.argv[4], dtype=np.float32)
        with torch.inference_mode():
            y = net(x).numpy().reshape(-1)
        out["maxAbsDiff"] = float(np.max(np.abs(y - ref)))
    print(json.dumps(out), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            break
        torch.set_num_threads(int(cmd["threads"]))
        x = torch.randn(int(cmd["batch"]), 3, size, size)
        latencies = []
        with torch.inference_mode():
            for _ in range(int(cmd.get("warmup", 2))):
                net(x)
            start = time.perf_counter()
            cpu0 = time.process_time()
            while len(latencies) < 3 or time.perf_counter() - start < float(cmd["seconds"]):
                t0 = time.perf_counter()
                net(x)
                latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu0
        images = len(latencies) * int(cmd["batch"])
        print(json.dumps({"imagesPerSec": images / elapsed, "imagesPerCpuSec": images / cpu, "latenciesMs": latencies}),
              flush=True)


if __name__ == "__main__":
    main()
