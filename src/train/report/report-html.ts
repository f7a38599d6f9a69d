import { escapeXml as esc } from '../../core/charts/svg.js';
import type { MetricsFile, ModelMetrics } from './metrics-file.js';

/** Pictures of the report as PNG buffers, keyed by file name (embedded as data URIs). */
export interface ReportImages {
  comparison?: string;
  curves: Record<string, string | undefined>;
  confusion: Record<string, string | undefined>;
  /** file name -> PNG bytes */
  files: Map<string, Buffer>;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222;background:#fafafa}
h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:14px}.notes{background:#fff8e1;border-left:4px solid #f0b400;padding:8px 12px;font-size:14px}
table{border-collapse:collapse;font-size:14px;background:#fff}th,td{border:1px solid #ddd;padding:5px 9px;text-align:right;white-space:nowrap}
th{background:#f0f0f0}td.name,th.name{text-align:left}tr.best td{background:#eef6ff}.role{color:#666;font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:16px}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px}
.card h3{margin:0 0 8px 0}.card img{display:block;max-width:100%;height:auto}.small{font-size:12px;color:#666}
`;

function pct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`;
}

function num(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatParameters(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function img(file: string | undefined, alt: string): string {
  return file ? `<img src="${file}" alt="${esc(alt)}">` : '<p class="small">(no picture)</p>';
}

/** The comparison table: one row per model. */
export function comparisonTable(metrics: MetricsFile): string {
  const labels = metrics.labels;
  const teacher = metrics.models.find((m) => m.name === metrics.best?.teacher);
  const head =
    '<tr><th class="name">model</th><th>accuracy</th><th>balanced acc.</th>' +
    labels.map((l) => `<th>${esc(l)}<br><span class="small">P / R (n)</span></th>`).join('') +
    '<th>parameters</th><th>images/s</th><th>backend</th><th>train time</th><th>best epoch</th></tr>';
  const rows = metrics.models.map((m) => {
    const best = m.name === metrics.best?.teacher || m.name === metrics.best?.student;
    const ratio =
      teacher && m.role === 'student' && m.parameters !== undefined && teacher.parameters
        ? ` <span class="small">(${((100 * m.parameters) / teacher.parameters).toFixed(1)}% of teacher)</span>`
        : '';
    const perLabel = labels
      .map((l) => {
        const p = m.perLabel[l];
        return p
          ? `<td>${pct(p.precision)} / ${pct(p.recall)} <span class="small">(${p.support})</span></td>`
          : '<td>–</td>';
      })
      .join('');
    const desc = [
      m.role,
      m.teacher ? `taught by ${m.teacher}` : '',
      m.kd?.length ? `KD: ${m.kd.join(' → ')}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    return (
      `<tr${best ? ' class="best"' : ''}><td class="name"><b>${esc(m.name)}</b>${best ? ' ★' : ''}<br><span class="role">${esc(desc)}</span></td>` +
      `<td>${pct(m.accuracy)}</td><td>${pct(m.balancedAccuracy)}</td>${perLabel}` +
      `<td>${formatParameters(m.parameters)}${ratio}</td><td>${num(m.imagesPerSec, 0)}</td><td>${esc(m.backend)}</td>` +
      `<td>${formatSeconds(m.wallTimeSec)}</td><td>${m.bestEpoch ?? '–'}</td></tr>`
    );
  });
  return `<table>${head}${rows.join('')}</table>`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

function modelCard(m: ModelMetrics, images: ReportImages): string {
  const extra = m.extra
    ? `<p class="small">${Object.entries(m.extra)
        .map(([k, v]) => `${esc(k)}: ${esc(String(v))}`)
        .join(' · ')}</p>`
    : '';
  const bySource = m.bySource
    ? `<p class="small">test by source: ${Object.entries(m.bySource)
        .map(
          ([k, v]) =>
            `${esc(k)} ${(v.accuracy * 100).toFixed(1)}% / balanced ${(v.balancedAccuracy * 100).toFixed(1)}% (${v.samples})`,
        )
        .join(' · ')}</p>`
    : '';
  return (
    `<div class="card"><h3>${esc(m.name)} <span class="role">${esc(m.role)}</span></h3>` +
    (m.description ? `<p class="small">${esc(m.description)}</p>` : '') +
    extra +
    bySource +
    `<div class="grid">${img(images.confusion[m.name], `${m.name} confusion matrix`)}` +
    (images.curves[m.name] ? img(images.curves[m.name], `${m.name} training curves`) : '') +
    '</div></div>'
  );
}

/** The whole report as one HTML document; image references are replaced by data URIs by the caller. */
export function reportHtml(metrics: MetricsFile, images: ReportImages): string {
  const meta = [
    `created ${esc(metrics.createdAt)}`,
    metrics.data?.length ? `data: ${metrics.data.map(esc).join(', ')}` : '',
    metrics.splitCounts
      ? `split: ${Object.entries(metrics.splitCounts)
          .map(([k, v]) => `${esc(k)} ${v}`)
          .join(', ')}`
      : '',
    metrics.seed !== undefined ? `seed ${metrics.seed}` : '',
    metrics.backend ? `backend: ${esc(metrics.backend)}` : '',
    metrics.totalWallTimeSec !== undefined ? `total ${formatSeconds(metrics.totalWallTimeSec)}` : '',
  ].filter(Boolean);
  const notes = metrics.notes?.length
    ? `<div class="notes">${metrics.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>`
    : '';
  const splits = [...new Set(metrics.models.map((m) => m.evaluatedOn ?? 'test'))].join(', ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mask-edge training report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head><body>
<h1>mask-edge training report</h1><p class="meta">${meta.join(' · ')}</p>${notes}
<h2>Models side by side</h2><p class="small">Metrics on the ${esc(splits)} split. P = precision, R = recall, n = support; balanced accuracy = mean recall over labels present. ★ = chosen teacher / student.</p>
${comparisonTable(metrics)}
${images.comparison ? `<div class="card" style="margin-top:16px;display:inline-block">${img(images.comparison, 'model comparison')}</div>` : ''}
<h2>Confusion matrices and training curves</h2><div class="grid">${metrics.models.map((m) => modelCard(m, images)).join('')}</div>
</body></html>
`;
}
