# Tables from sweep.py outputs: mean over seeds per config (validation, held-out real, MaskedFace-Net test;
# accuracy / balanced accuracy in %), and, where the lines hold softmax outputs, seed ensembles (mean probability).
# Usage: python3 summarize.py results/sweep2.jsonl.gz [--ensembles 2,4] [--failures mfn|real]
# --failures: the held-out faces missed most often, and in how many of the runs (lines with softmax outputs).
import gzip, json, sys, collections
import numpy as np

HERE = __file__.rsplit('/', 1)[0]
LABELS = {'correct': 0, 'incorrect': 1, 'no_mask': 2}


def lines(path):
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rt') as f:
        return [json.loads(l) for l in f if l.strip()]


def picked():
    index = json.load(open(f'{HERE}/index.json'))
    return {k: [x for x in index if f(x)] for k, f in PICK.items()}


PICK = {'val': lambda x: x['split'] == 'val',
        'real': lambda x: x['split'] == 'test' and x['format'] == 'voc',
        'mfn': lambda x: x['split'] == 'test' and x['format'] != 'voc'}


def truth():
    return {k: np.array([LABELS[x['label']] for x in xs]) for k, xs in picked().items()}


def failures(rows, which, top=10):
    faces = picked()[which]
    t = truth()[which]
    runs = [np.array(r['probs'][which]).reshape(-1, 3).argmax(1) for r in rows if 'probs' in r]
    missed = collections.Counter(i for pred in runs for i in np.nonzero(pred != t)[0])
    print(f'| {which} face | label | missed in (of {len(runs)} runs) |')
    print('| --- | --- | --- |')
    for i, n in missed.most_common(top):
        print(f"| `{faces[i]['id'].split(':', 1)[-1]}` | {faces[i]['label']} | {n} |")


def metrics(p, t):
    pred = p.argmax(1)
    recalls = [(pred[t == c] == c).mean() for c in range(3) if (t == c).any()]
    return 100 * (pred == t).mean(), 100 * np.mean(recalls)


def main():
    path = sys.argv[1]
    sizes = [int(s) for s in sys.argv[sys.argv.index('--ensembles') + 1].split(',')] if '--ensembles' in sys.argv else []
    rows = [r for r in lines(path) if 'cfg' in r and 'teacherOf' not in r and 'error' not in r]
    if '--failures' in sys.argv:
        return failures(rows, sys.argv[sys.argv.index('--failures') + 1])
    groups = collections.defaultdict(list)
    for r in rows:
        groups[json.dumps({k: v for k, v in r['cfg'].items() if k != 'seed'}, sort_keys=True)].append(r)
    print('| config | seeds | val | held-out real | real, flip-averaged | MaskedFace-Net |')
    print('| --- | --- | --- | --- | --- | --- |')
    f = lambda rs, k: '%.1f / %.1f' % tuple(np.mean([r[k] for r in rs], 0) * 100)
    for key, rs in sorted(groups.items()):
        print(f'| `{key}` | {len(rs)} | {f(rs, "val")} | {f(rs, "real")} | {f(rs, "real_tta")} | {f(rs, "mfn")} |')
    if not sizes or 'probs' not in rows[0]:
        return
    t = truth()
    print('\n| config | ensemble of | groups | val | held-out real | MaskedFace-Net |')
    print('| --- | --- | --- | --- | --- | --- |')
    for key, rs in sorted(groups.items()):
        rs.sort(key=lambda r: r['cfg'].get('seed', 0))
        for n in sizes:
            parts = [rs[i:i + n] for i in range(0, len(rs) - n + 1, n)]
            if not parts:
                continue
            cells = []
            for k in ('val', 'real', 'mfn'):
                ms = [metrics(sum(np.array(r['probs'][k]).reshape(-1, 3) for r in g) / n, t[k]) for g in parts]
                cells.append('%.1f / %.1f' % tuple(np.mean(ms, 0)))
            print(f'| `{key}` | {n} seeds | {len(parts)} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
