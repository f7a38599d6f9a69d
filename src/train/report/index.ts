export * from './metrics-file.js';
export { renderComparisonPng, renderModelConfusionPng, renderTrainingCurvesPng } from './report-charts.js';
export { comparisonTable, formatParameters, reportHtml } from './report-html.js';
export { fileSafe, type ReportResult, writeReport } from './write-report.js';
