export { type BarChartOptions, type BarSeries, barChartSvg, renderBarChartPng } from './bar-chart.js';
export {
  type ConfusionMatrixOptions,
  confusionMatrixSvg,
  renderConfusionMatrixPng,
} from './confusion-matrix.js';
export { type LineChartOptions, type LineSeries, lineChartSvg, renderLineChartPng } from './line-chart.js';
export { FONT_FAMILY, PALETTE, svgToPng } from './svg.js';
