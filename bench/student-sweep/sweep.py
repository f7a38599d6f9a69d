# Research proxy (not product code, not run by CI): replicates mask-edge's student CNN, augmentation, class weights,
# AdamW + cosine schedule and best-on-validation selection in PyTorch, to rank architectures and recipes over many
# seeds on a GPU before spending CPU hours on tfjs-wasm runs. Input: export-crops.mjs's mosaics + index.json beside
# this file. Usage: python3 sweep.py PLAN.json WORKER NWORKERS OUT.jsonl  (run NWORKERS processes in parallel).
# A plan is a JSON list of configs: size, width, blocks, convs, epochs, cw (balanced|sqrt|none|power), ls, lr, aug,
# seed, teacher {arch: cnn|resnet18, ...} + alpha/T for distillation; sweep 4 added: sampler (class-balanced
# sampling power), real_incorrect_w (extra weight on real-photo incorrect faces), mixup (Beta alpha), crop (centre
# fraction of the 64 px crop, i.e. a tighter margin), teacher_ens (distil from the mean logits of N seeded students). Each output line: validation, held-out real
# (Kaggle test split) and MaskedFace-Net test (accuracy, balanced accuracy), with and without flip averaging, and
# softmax outputs for ensembling (summarize.py).
import json, math, os, sys, time, itertools, random
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(1)
DEV = 'cuda' if torch.cuda.is_available() else 'cpu'
LABELS = {'correct': 0, 'incorrect': 1, 'no_mask': 2}
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

index = json.load(open(os.path.join(HERE, 'index.json')))
N = len(index)
_cache = {}


def crops(size, crop=1.0):
    if (size, crop) in _cache:
        return _cache[(size, crop)]
    src = 64 if size <= 64 else 96
    img = np.asarray(Image.open(os.path.join(HERE, f'crops{src}.jpg')).convert('RGB'))
    cols = img.shape[1] // src
    arr = np.stack([img[(i // cols) * src:(i // cols + 1) * src, (i % cols) * src:(i % cols + 1) * src] for i in range(N)])
    t = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(255)
    if crop < 1:
        m = round(src * (1 - crop) / 2)
        t = t[:, :, m:src - m, m:src - m]
    if size != t.shape[-1]:
        t = F.interpolate(t, size=(size, size), mode='bilinear', align_corners=False, antialias=True)
    t = ((t - MEAN) / STD).to(DEV)
    _cache[(size, crop)] = t
    return t


labels = torch.tensor([LABELS[x['label']] for x in index], device=DEV)
is_real = torch.tensor([x['format'] == 'voc' for x in index], device=DEV)
idx = {s: torch.tensor([i for i, x in enumerate(index) if x['split'] == s], device=DEV) for s in ('train', 'val', 'test')}
test_real = torch.tensor([i for i, x in enumerate(index) if x['split'] == 'test' and x['format'] == 'voc'], device=DEV)
test_mfn = torch.tensor([i for i, x in enumerate(index) if x['split'] == 'test' and x['format'] != 'voc'], device=DEV)


class Cnn(nn.Module):
    def __init__(self, width=16, blocks=4, convs=1, max_width=256, residual=False):
        super().__init__()
        layers, c_in = [], 3
        for b in range(blocks):
            f = min(max_width, width * 2 ** b)
            for c in range(convs):
                layers += [nn.Conv2d(c_in, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, momentum=0.1, eps=1e-5), nn.LeakyReLU(0.1)]
                c_in = f
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, 3)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity='relu')

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


def resnet(kind):
    import torchvision
    m = getattr(torchvision.models, kind)(weights=None, num_classes=3)
    return m


def augment(x, g, scale=(0.7, 1.0), ratio=(0.85, 1.18), flip=0.5, jitter=0.25, blur=0.15):
    B = x.shape[0]
    area = torch.empty(B, device=DEV).uniform_(*scale, generator=g)
    logr = torch.empty(B, device=DEV).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=g)
    r = logr.exp()
    cw = (area * r).sqrt().clamp(max=1)
    ch = (area / r).sqrt().clamp(max=1)
    cx = (torch.rand(B, device=DEV, generator=g) * (1 - cw) + cw / 2) * 2 - 1
    cy = (torch.rand(B, device=DEV, generator=g) * (1 - ch) + ch / 2) * 2 - 1
    sx = cw * torch.where(torch.rand(B, device=DEV, generator=g) < flip, -1.0, 1.0)
    theta = torch.zeros(B, 2, 3, device=DEV)
    theta[:, 0, 0] = sx
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = ch
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    y = F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)
    # colour jitter in [0,1] space
    y = y * STD.to(DEV) + MEAN.to(DEV)
    b = 1 + torch.empty(B, 1, 1, 1, device=DEV).uniform_(-jitter, jitter, generator=g)
    k = 1 + torch.empty(B, 1, 1, 1, device=DEV).uniform_(-jitter, jitter, generator=g)
    s = 1 + torch.empty(B, 1, 1, 1, device=DEV).uniform_(-jitter, jitter, generator=g)
    y = y * b
    m = y.mean((1, 2, 3), keepdim=True)
    y = (y - m) * k + m
    gray = y.mean(1, keepdim=True)
    y = (y - gray) * s + gray
    bl = torch.rand(B, device=DEV, generator=g) < blur
    if bl.any():
        kern = torch.ones(3, 1, 3, 3, device=DEV) / 9
        y[bl] = F.conv2d(F.pad(y[bl], (1, 1, 1, 1), mode='replicate'), kern, groups=3)
    y = y.clamp(0, 1)
    return (y - MEAN.to(DEV)) / STD.to(DEV)


def metrics(logits, which):
    pred = logits.argmax(1)
    y = labels[which]
    acc = (pred == y).float().mean().item()
    recs = []
    for c in range(3):
        m = y == c
        if m.any():
            recs.append((pred[m] == c).float().mean().item())
    return acc, sum(recs) / len(recs)


@torch.no_grad()
def predict(model, x, tta=False):
    model.eval()
    out = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)])
    if tta:
        out = (out.softmax(1) + torch.cat([model(x[i:i + 512].flip(3)) for i in range(0, len(x), 512)]).softmax(1)).log()
    return out


def run(cfg):
    t0 = time.time()
    seed = cfg.get('seed', 1)
    torch.manual_seed(seed)
    g = torch.Generator(device=DEV)
    g.manual_seed(seed)
    size = cfg.get('size', 48)
    X = crops(size, cfg.get('crop', 1.0))
    arch = cfg.get('arch', 'cnn')
    if arch == 'cnn':
        model = Cnn(cfg.get('width', 16), cfg.get('blocks', 4), cfg.get('convs', 1))
    else:
        model = resnet(arch)
    model = model.to(DEV)
    params = sum(p.numel() for p in model.parameters())
    tr = idx['train']
    ytr = labels[tr]
    counts = torch.bincount(ytr, minlength=3).float()
    cwmode = cfg.get('cw', 'balanced')
    w = counts.sum() / (3 * counts)
    if isinstance(cwmode, (int, float)):
        w = w ** cwmode
    elif cwmode == 'sqrt':
        w = w.sqrt()
    elif cwmode == 'none':
        w = torch.ones(3, device=DEV)
    wex = w[ytr] * (1 + (cfg.get('real_incorrect_w', 1.0) - 1) * (is_real[tr] & (ytr == 1)).float())
    samp = cfg.get('sampler')  # draw each epoch's examples with probability ~ n_label^-samp (with replacement)
    pex = counts[ytr] ** -samp if samp else None
    epochs = cfg.get('epochs', 14)
    bs = cfg.get('bs', 64)
    lr = cfg.get('lr', 3e-3)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=cfg.get('wd', 0.01))
    steps_per = math.ceil(len(tr) / bs)
    total = epochs * steps_per
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    teacher = cfg.get('teacher_model')
    T, alpha = cfg.get('T', 4.0), cfg.get('alpha', 0.5)
    ls = cfg.get('ls', 0.0)
    mix = cfg.get('mixup', 0.0)
    best = (-1, None, 0)
    aug = cfg.get('aug', {})
    for ep in range(epochs):
        model.train()
        order = torch.multinomial(pex, len(tr), replacement=True, generator=g) if samp else torch.randperm(len(tr), device=DEV, generator=g)
        for s in range(steps_per):
            o = order[s * bs:(s + 1) * bs]
            b = tr[o]
            xb = augment(X[b], g, **aug)
            yb, wb = labels[b], wex[o]
            if mix:
                lam = float(np.random.default_rng(seed * 100003 + ep * 1009 + s).beta(mix, mix))
                pm = torch.randperm(len(b), device=DEV, generator=g)
                xb = lam * xb + (1 - lam) * xb[pm]
            logits = model(xb)
            ce = lambda y: F.cross_entropy(logits, y, reduction='none', label_smoothing=ls)
            if mix:
                loss = ((lam * ce(yb) + (1 - lam) * ce(yb[pm])) * (lam * wb + (1 - lam) * wb[pm])).sum() / (lam * wb + (1 - lam) * wb[pm]).sum()
            else:
                loss = (ce(yb) * wb).sum() / wb.sum()
            if teacher is not None:
                with torch.no_grad():
                    tl = teacher(xb)
                kd = F.kl_div(F.log_softmax(logits / T, 1), F.softmax(tl / T, 1), reduction='batchmean') * T * T
                loss = (1 - alpha) * loss + alpha * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        vl = predict(model, X[idx['val']])
        va, vb = metrics(vl, idx['val'])
        score = (va + vb) / 2
        if score > best[0]:
            best = (score, {k: v.detach().clone() for k, v in model.state_dict().items()}, ep + 1)
    model.load_state_dict(best[1])
    res = {'cfg': {k: v for k, v in cfg.items() if k != 'teacher_model'}, 'params': params, 'bestEpoch': best[2]}
    for tta in (False, True):
        p = '_tta' if tta else ''
        res['val' + p] = metrics(predict(model, X[idx['val']], tta), idx['val'])
        res['real' + p] = metrics(predict(model, X[test_real], tta), test_real)
        res['mfn' + p] = metrics(predict(model, X[test_mfn], tta), test_mfn)
    res['probs'] = {k: [round(v, 4) for v in predict(model, X[w]).softmax(1).flatten().tolist()] for k, w in (('val', idx['val']), ('real', test_real), ('mfn', test_mfn))}
    res['sec'] = round(time.time() - t0, 1)
    return res, model


def main():
    plan = json.load(open(sys.argv[1]))
    worker, nworkers, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    for i, cfg in enumerate(plan):
        if cfg.pop('worker', i % nworkers) != worker:
            continue
        teacher = None
        if 'teacher_ens' in cfg:
            base = {k: v for k, v in cfg.items() if k not in ('teacher_ens', 'alpha', 'T')}
            members = []
            for k in range(cfg['teacher_ens']):
                res_t, m = run({**base, 'seed': cfg.get('seed', 1) * 100 + k})
                m.eval()
                members.append(m)
                with open(out, 'a') as f:
                    f.write(json.dumps({'teacherOf': i, **res_t}) + '\n')
            teacher = lambda x, ms=members: torch.stack([m(x) for m in ms]).mean(0)
        if 'teacher' in cfg:
            try:
                res_t, teacher = run({**cfg['teacher'], 'seed': cfg.get('seed', 1)})
            except Exception as e:
                with open(out, 'a') as f:
                    f.write(json.dumps({'i': i, 'teacherError': repr(e)}) + '\n')
                continue
            teacher.eval()
            with open(out, 'a') as f:
                f.write(json.dumps({'teacherOf': i, **res_t}) + '\n')
            if teacher is not None and cfg['teacher'].get('size', 48) != cfg.get('size', 48):
                ts = cfg['teacher'].get('size', 48)
                inner = teacher
                teacher = lambda x, inner=inner, ts=ts: inner(F.interpolate(x, size=(ts, ts), mode='bilinear', align_corners=False))
        c = dict(cfg)
        c.pop('teacher', None)
        if teacher is not None:
            c['teacher_model'] = teacher
            if 'teacher' in cfg:
                c['kdFrom'] = cfg['teacher']
        try:
            res, _ = run(c)
            res['i'] = i
        except Exception as e:  # keep the sweep going
            res = {'i': i, 'cfg': {k: v for k, v in c.items() if k != 'teacher_model'}, 'error': repr(e)}
        with open(out, 'a') as f:
            f.write(json.dumps(res) + '\n')
        print(json.dumps(res), flush=True)


if __name__ == '__main__':
    main()
