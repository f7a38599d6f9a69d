import { barChartSvg } from '../../core/charts/bar-chart.js';
import { confusionMatrixSvg } from '../../core/charts/confusion-matrix.js';
import { type LineSeries, lineChartSvg } from '../../core/charts/line-chart.js';
import { svgToPng } from '../../core/charts/svg.js';
import type { EpochRecord, ModelMetrics } from './metrics-file.js';

const PANEL_W = 560;
const PANEL_H = 380;

function series(
  history: readonly EpochRecord[],
  key: keyof EpochRecord,
  name: string,
  dashed = false,
): LineSeries | undefined {
  const values = history.map((h) => (typeof h[key] === 'number' ? (h[key] as number) : null));
  if (values.every((v) => v === null)) return undefined;
  return { name, values, x: history.map((h) => h.epoch), dashed };
}

/**
 * Training curves of one model as one PNG: loss (train/val) on the left, accuracy (train/val, balanced val)
 * on the right. Returns undefined when the model has no history (e.g. a random forest).
 */
export async function renderTrainingCurvesPng(model: ModelMetrics): Promise<Buffer | undefined> {
  const h = model.history;
  const loss = [series(h, 'trainLoss', 'train loss'), series(h, 'valLoss', 'val loss', true)].filter(
    (s): s is LineSeries => s !== undefined,
  );
  const acc = [
    series(h, 'trainAccuracy', 'train acc'),
    series(h, 'valAccuracy', 'val acc', true),
    series(h, 'valBalancedAccuracy', 'val balanced acc', true),
  ].filter((s): s is LineSeries => s !== undefined);
  const panels: string[] = [];
  if (loss.length) {
    panels.push(
      lineChartSvg({
        title: `${model.name}: loss`,
        series: loss,
        xLabel: 'epoch',
        yLabel: 'loss',
        width: PANEL_W,
        height: PANEL_H,
      }),
    );
  }
  if (acc.length) {
    const lo = Math.min(...acc.flatMap((s) => s.values.filter((v): v is number => v !== null)));
    panels.push(
      lineChartSvg({
        title: `${model.name}: accuracy`,
        series: acc,
        xLabel: 'epoch',
        yLabel: 'accuracy',
        yMin: Math.max(0, Math.floor(lo * 10) / 10),
        yMax: 1,
        width: PANEL_W,
        height: PANEL_H,
        // train and val accuracy usually share colours with the loss panel order; keep distinct hues
      }),
    );
  }
  if (panels.length === 0) return undefined;
  const width = PANEL_W * panels.length;
  const body = panels.map((svg, i) => svg.replace('<svg ', `<svg x="${i * PANEL_W}" y="0" `)).join('');
  return svgToPng(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_H}">${body}</svg>`,
  );
}

export async function renderModelConfusionPng(model: ModelMetrics): Promise<Buffer> {
  const split = model.evaluatedOn ?? 'test';
  return svgToPng(
    confusionMatrixSvg({
      title: `${model.name} (${split}, n=${model.samples})`,
      confusion: model.confusion,
      labels: model.labels,
    }),
  );
}

/** Accuracy and balanced accuracy of every model, grouped bars. */
export async function renderComparisonPng(models: readonly ModelMetrics[]): Promise<Buffer> {
  const lo = Math.min(...models.flatMap((m) => [m.accuracy, m.balancedAccuracy]));
  return svgToPng(
    barChartSvg({
      title: 'Model comparison',
      categories: models.map((m) => m.name),
      series: [
        { name: 'accuracy', values: models.map((m) => m.accuracy) },
        { name: 'balanced accuracy', values: models.map((m) => m.balancedAccuracy) },
      ],
      yMin: lo > 0.6 ? Math.floor(lo * 10) / 10 - 0.1 : 0,
      yMax: 1,
      yLabel: 'score',
      formatValue: (v) => v.toFixed(3),
    }),
  );
}
