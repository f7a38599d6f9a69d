"""PyTorch peer for bench/train-throughput.mjs: the mask-edge student CNN, one AdamW training step per batch.

Prints one JSON line: {"images": N, "wall_s": ..., "cpu_s": ..., "threads": T}.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys
import time

import torch
import torch.nn as nn


def student(width: int, blocks: int) -> nn.Module:
    layers = []
    cin = 3
    for b in range(blocks):
        cout = min(256, width * 2**b)
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5),
                   nn.LeakyReLU(0.1), nn.MaxPool2d(2)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 3)]
    return nn.Sequential(*layers)


def main() -> None:
    size, width, blocks, batch, steps, threads = (int(v) for v in sys.argv[1:7])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = student(width, blocks)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([0.5, 3.6, 2.0]))
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 3, (batch,))

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    step()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    print(json.dumps({"images": batch * steps, "wall_s": time.perf_counter() - wall0,
                      "cpu_s": time.process_time() - cpu0, "threads": threads}))


if __name__ == "__main__":
    main()
