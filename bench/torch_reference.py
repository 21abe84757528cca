"""PyTorch timings of every training step the study runs, for `deno task bench`.

Re-states the reference FeatureProjector and AdamW step (spec sections 2.1,
2.4) with each loss the grid trains -- log-space InfoNCE (LS or single form),
InfoNCE with difficult pairs (sigma/rho edits), InfoNCE + VRNS, LS_MARGIN
(reference sim vector), the stable margin loss -- and TS2Vec (dilated-CNN
encoder, random crops, hierarchical loss, as yuezhihan/ts2vec), on the
study's batch shapes, and times one optimiser step per variant with
`--threads` torch threads (default: 1, then every core). Prints one JSON
object with torch's version, build configuration and the rows. Run by
bench/torch.ts; needs `python3-torch`.

`python3 bench/torch_reference.py --device cuda` times the same steps on a
CUDA GPU instead (synchronising before each clock read).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# dataset shape, temperature, margin, InfoNCE form (spec section 5)
SHAPES = {
    "SleepEEG": ((8, 200, 90), 0.1, 5.0, "ls"),
    "HARTH": ((8, 119, 156), 0.05, 5.0, "ls"),
    "ECG": ((8, 200, 1502), 0.5, 100.0, "single"),
}
VARIANTS = ("infonce", "infonce+difficult", "infonce+vrns", "emargin-reference",
            "emargin-stable", "ts2vec")
GAMMA = 0.05


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


def sim_vector_intended(x, threshold=0.4):
    x = F.normalize(x.reshape(-1, x.shape[-1]), dim=1)
    return ((x * torch.roll(x, -1, 0)).sum(1) < threshold).float()


def ls_margin_loss(z, v, tau, m):
    u = F.normalize(z, dim=1)
    s = u @ u.T
    l = torch.diagonal(s, -1)
    num = torch.exp(l[1:] / tau) + torch.exp(l[:-1] / tau)
    marg = -(1 - v) * 0.5 * s ** 2 + v * 0.5 * torch.clamp(m - s, min=0) ** 2
    e = torch.exp(GAMMA * marg / tau)
    e = e - torch.diag(torch.diag(e))
    col = e.sum(0)
    den = (col[:-2] - torch.exp(l[:-1] / tau)) + (col[1:-1] - num)
    return (-torch.log(num / (den + num))).mean()


def band(n, device):
    i = torch.arange(n, device=device)
    return (i[:, None] - i[None, :]).abs()


def log_space_infonce(s, tau, form, negatives, positives_in_den=False):
    """s: cosine similarities; negatives: the negative logits (N x N)."""
    n = s.shape[0]
    d = band(n, s.device)
    i = torch.arange(n, device=s.device)
    lower = s[i[1:], i[:-1]] / tau
    ninf = torch.tensor(float("-inf"), device=s.device)
    # column j without {j, j+1} and without {j-1, j, j+1}
    without_next = torch.where((d == 0) | (i[:, None] == i[None, :] + 1), ninf, negatives)
    without_band = torch.where(d <= 1, ninf, negatives)
    a = torch.logsumexp(without_next, 0)
    if form == "single":
        pos = lower
        neg = a[:-1]
    else:
        pos = torch.logaddexp(lower[:-1], lower[1:])
        neg = torch.logaddexp(a[:-2], torch.logsumexp(without_band, 0)[1:-1])
    den = torch.logaddexp(pos, neg) if positives_in_den else neg
    return (den - pos).mean()


def infonce_loss(z, tau, form, difficult=False, vrns_k=None):
    u = F.normalize(z, dim=1)
    s = u @ u.T
    logits = s / tau
    negatives = logits
    if difficult:
        n = s.shape[0]
        mask = band(n, s.device) > 1
        q = torch.quantile(s[mask], torch.tensor([0.95, 0.995], device=s.device))
        hard = mask & (s >= q[0]) & (s <= q[1])
        negatives = torch.where(hard, (s - 0.1) / (2 * tau), logits)
    loss = log_space_infonce(s, tau, form, negatives)
    if vrns_k is not None:
        mask = band(s.shape[0], s.device) > 1
        loss = loss + 30 * ((s[mask] + 1 / (vrns_k - 1)) ** 2).mean()
    return loss


def stable_loss(z, v, tau, m):
    u = F.normalize(z, dim=1)
    s = u @ u.T
    negatives = s / tau + v[None, :] * GAMMA * 0.5 * F.relu(s + m - 1) ** 2 / tau
    return log_space_infonce(s, tau, "ls", negatives, positives_in_den=True)


class SamePadConv(nn.Module):
    def __init__(self, cin, cout, dilation):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, 3, padding=dilation, dilation=dilation)

    def forward(self, x):
        return self.conv(x)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, dilation, final):
        super().__init__()
        self.conv1 = SamePadConv(cin, cout, dilation)
        self.conv2 = SamePadConv(cout, cout, dilation)
        self.projector = nn.Conv1d(cin, cout, 1) if cin != cout or final else None

    def forward(self, x):
        residual = x if self.projector is None else self.projector(x)
        x = self.conv1(F.gelu(x))
        return self.conv2(F.gelu(x)) + residual


class TSEncoder(nn.Module):
    def __init__(self, f, hidden=64, out=320, depth=10):
        super().__init__()
        self.input_fc = nn.Linear(f, hidden)
        channels = [hidden] * depth + [out]
        self.blocks = nn.Sequential(*[
            ConvBlock(channels[i - 1] if i else hidden, channels[i], 2 ** i, i == depth)
            for i in range(depth + 1)])
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        x = self.input_fc(x)
        mask = torch.from_numpy(np.random.binomial(1, 0.5, size=x.shape[:2])).to(x.device).bool()
        x = x * mask[..., None]
        return self.dropout(self.blocks(x.transpose(1, 2))).transpose(1, 2)


def paired_ce(z):
    # z [G, 2M, C]: the official instance/temporal loss, diagonal removed
    m = z.shape[1] // 2
    sim = torch.matmul(z, z.transpose(1, 2))
    logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
    logits = -F.log_softmax(logits, dim=-1)
    i = torch.arange(m, device=z.device)
    return (logits[:, i, m + i - 1].mean() + logits[:, m + i, i].mean()) / 2


def hierarchical_loss(z1, z2, alpha=0.5):
    loss, d = 0, 0
    while z1.size(1) > 1:
        loss = loss + alpha * paired_ce(torch.cat([z1, z2], 0).transpose(0, 1))
        loss = loss + (1 - alpha) * paired_ce(torch.cat([z1, z2], 1))
        d += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if z1.size(1) == 1:
        loss = loss + alpha * paired_ce(torch.cat([z1, z2], 0).transpose(0, 1))
        d += 1
    return loss / d


def take_per_row(x, left, length):
    idx = torch.from_numpy(left[:, None] + np.arange(length)[None, :]).to(x.device)
    return x[torch.arange(x.shape[0], device=x.device)[:, None], idx]


def ts2vec_step(net, x, rng):
    b, t = x.shape[:2]
    crop = rng.integers(2, t + 1)
    left = rng.integers(t - crop + 1)
    right = left + crop
    eleft = rng.integers(left + 1)
    eright = rng.integers(right, t + 1)
    offset = rng.integers(-eleft, t - eright + 1, size=b)
    out1 = net(take_per_row(x, offset + eleft, right - eleft))[:, -crop:]
    out2 = net(take_per_row(x, offset + left, eright - left))[:, :crop]
    return hierarchical_loss(out1, out2)


def median_seconds(fn, repeats, device, warmup=2):
    """Median wall and process-CPU seconds of `fn` (CPU time: all threads together)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        sync()
        t, c = time.perf_counter(), time.process_time()
        fn()
        sync()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2], cpu[len(cpu) // 2]


def train_row(dataset, variant, device, repeats):
    (b, t, f), tau, m, form = SHAPES[dataset]
    torch.manual_seed(0)
    x = torch.randn(b, t, f, device=device).abs()
    rng = np.random.default_rng(0)
    net = (TSEncoder(f) if variant == "ts2vec" else FeatureProjector(f)).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)

    def loss_of():
        if variant == "ts2vec":
            return ts2vec_step(net, x, rng)
        z = net(x).reshape(b * t, -1)
        if variant == "infonce":
            return infonce_loss(z, tau, form)
        if variant == "infonce+difficult":
            return infonce_loss(z, tau, form, difficult=True)
        if variant == "infonce+vrns":
            return infonce_loss(z, tau, form, vrns_k=5000)
        if variant == "emargin-reference":
            return ls_margin_loss(z, sim_vector_double(x), tau, m)
        return stable_loss(z, sim_vector_intended(x), tau, m)

    def step():
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
    wall, cpu = median_seconds(step, repeats, device)
    return {"dataset": dataset, "shape": f"{b}x{t}x{f}", "variant": variant,
            "threads": torch.get_num_threads(), "msPerStep": 1000 * wall, "cpuMsPerStep": 1000 * cpu}


GEMMS = ((1600, 320, 1600), (1600, 1600, 320), (1600, 192, 64))


def gemm_rows(device, repeats):
    """GFLOP/s of the products that dominate the steps: S = U.U^T, (H + H^T).U, a conv tap stack."""
    rows = []
    for m, k, n in GEMMS:
        a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
        wall, cpu = median_seconds(lambda: a @ b, repeats, device)
        rows.append({"gemm": f"{m}x{k}x{n}", "threads": torch.get_num_threads(),
                     "ms": 1000 * wall, "gflops": 2 * m * k * n / wall / 1e9})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    parser.add_argument("--threads", default=None,
                        help="comma-separated torch thread counts (default: 1 and every core)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", default=None, help="comma-separated variants")
    args = parser.parse_args()
    device = torch.device(args.device)
    cores = os.cpu_count() or 1
    threads = [int(t) for t in args.threads.split(",")] if args.threads else sorted({1, cores})
    variants = args.only.split(",") if args.only else VARIANTS
    rows = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        rows.extend(gemm_rows(device, 15))
        for dataset in SHAPES:
            for variant in variants:
                rows.append(train_row(dataset, variant, device, args.repeats))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    json.dump({"torch": torch.__version__, "cores": cores, "device": name,
               "config": torch.__config__.show(), "parallel": torch.__config__.parallel_info(),
               "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
