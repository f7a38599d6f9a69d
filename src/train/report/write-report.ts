import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import type { MetricsFile } from './metrics-file.js';
import { renderComparisonPng, renderModelConfusionPng, renderTrainingCurvesPng } from './report-charts.js';
import { type ReportImages, reportHtml } from './report-html.js';

export interface ReportResult {
  html: string;
  /** Every PNG written into the run directory. */
  pngs: string[];
}

/** A file-name-safe form of a model name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'model';
}

/**
 * Writes RUN/comparison.png, RUN/confusion-<model>.png, RUN/curves-<model>.png and RUN/report.html.
 * The HTML embeds the same PNGs as data URIs, so it reads offline and can be mailed on its own.
 */
export async function writeReport(runDir: string, metrics: MetricsFile): Promise<ReportResult> {
  if (metrics.models.length === 0) {
    throw new MaskEdgeError('E_DATA', 'metrics has no models to report', { detail: { runDir } });
  }
  const images: ReportImages = { curves: {}, confusion: {}, files: new Map() };
  images.files.set('comparison.png', await renderComparisonPng(metrics.models));
  images.comparison = 'comparison.png';
  for (const m of metrics.models) {
    const safe = fileSafe(m.name);
    images.files.set(`confusion-${safe}.png`, await renderModelConfusionPng(m));
    images.confusion[m.name] = `confusion-${safe}.png`;
    const curves = await renderTrainingCurvesPng(m);
    if (curves) {
      images.files.set(`curves-${safe}.png`, curves);
      images.curves[m.name] = `curves-${safe}.png`;
    }
  }
  const pngs: string[] = [];
  for (const [name, png] of images.files) {
    const path = join(runDir, name);
    await writeFile(path, png);
    pngs.push(path);
  }
  let html = reportHtml(metrics, images);
  for (const [name, png] of images.files) {
    html = html.replaceAll(`src="${name}"`, `src="data:image/png;base64,${png.toString('base64')}"`);
  }
  const htmlPath = join(runDir, 'report.html');
  await writeFile(htmlPath, html);
  return { html: htmlPath, pngs };
}
