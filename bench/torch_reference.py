"""PyTorch CPU timings of the official eMargin training step, for `deno task bench`.

Re-states the reference FeatureProjector, LS_MARGIN_LOSS, LS_HATCL_LOSS and the
AdamW step (spec sections 2.1, 2.2, 2.4) and times them on this machine. Prints
one JSON object. Run by bench/torch.ts; needs `python3-torch`.

`python3 bench/torch_reference.py [--device cuda]` times the same steps on a
CUDA GPU instead (synchronising before each clock read), for comparison with
the WebGPU backend on the same machine.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class FeatureProjector(nn.Module):
    def __init__(self, f, d=320):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(f, 128, 1), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 64, 1), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, d, 1), nn.BatchNorm1d(d), nn.ReLU(),
        )

    def forward(self, x):
        return self.net(x.float().permute(0, 2, 1)).permute(0, 2, 1)


def sim_vector_double(x, threshold=0.4):
    x = F.normalize(x.reshape(-1, x.shape[-1]), dim=1)
    r = (x * torch.roll(x, -1, 0)).sum(1)
    r[r >= threshold] = 0
    r[r <= threshold] = 1
    return r


def ls_margin_loss(z, v, tau, m, gamma=0.05):
    u = F.normalize(z, dim=1)
    s = u @ u.T
    l = torch.diagonal(s, -1)
    num = torch.exp(l[1:] / tau) + torch.exp(l[:-1] / tau)
    marg = -(1 - v) * 0.5 * s ** 2 + v * 0.5 * torch.clamp(m - s, min=0) ** 2
    e = torch.exp(gamma * marg / tau)
    e = e - torch.diag(torch.diag(e))
    col = e.sum(0)
    den = (col[:-2] - torch.exp(l[:-1] / tau)) + (col[1:-1] - num)
    return (-torch.log(num / (den + num))).mean()


def ls_hatcl_loss(z, tau):
    u = F.normalize(z, dim=1)
    e = torch.exp(u @ u.T / tau)
    e = e - torch.diag(torch.diag(e))
    l = torch.diagonal(e, -1)
    col = e.sum(0)
    num = l[1:] + l[:-1]
    den = (col[:-2] - l[:-1]) + (col[1:-1] - l[1:] - l[:-1])
    return (-torch.log(num / den)).mean()


def median_seconds(fn, repeats, device, warmup=2):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    device = torch.device(parser.parse_args().device)
    # Debian's build starts with one OpenMP thread; give it every core, as ours
    # gets the whole machine too.
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    rows = []
    sizes = (400, 800, 1600, 3200) + ((6400,) if device.type == "cuda" else ())
    for n in sizes:
        z = torch.rand(n, 320, device=device, requires_grad=True)
        v = torch.ones(n, device=device)
        for name, loss in (("lsMarginLoss", lambda: ls_margin_loss(z, v, 0.1, 5.0)),
                           ("lsHatclLoss", lambda: ls_hatcl_loss(z, 0.1))):
            def fwd_bwd():
                z.grad = None
                loss().backward()
            rows.append({"section": "loss", "loss": name, "N": n, "D": 320,
                         "ms": 1000 * median_seconds(fwd_bwd, 5, device)})
    for shape_name, (b, t, f) in (("SleepEEG", (8, 200, 90)), ("HARTH", (8, 119, 156))):
        x = torch.randn(b, t, f, device=device)
        for name in ("lsMarginLoss", "lsHatclLoss"):
            net = FeatureProjector(f).to(device)
            opt = torch.optim.AdamW(net.parameters(), lr=1e-3)

            def step():
                z = net(x).reshape(b * t, -1)
                if name == "lsMarginLoss":
                    loss = ls_margin_loss(z, sim_vector_double(x), 0.1, 5.0)
                else:
                    loss = ls_hatcl_loss(z, 0.1)
                opt.zero_grad()
                loss.backward()
                opt.step()
            sec = median_seconds(step, 7, device)
            rows.append({"section": "train", "shape": shape_name, "N": b * t, "loss": name,
                         "itPerSec": 1 / sec})
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(),
               "device": name, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
