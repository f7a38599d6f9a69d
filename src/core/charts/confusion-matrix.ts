import { MaskEdgeError } from '../errors.js';
import { checkSize, svgDocument, svgText, svgToPng } from './svg.js';

export interface ConfusionMatrixOptions {
  /** confusion[truth][pred] counts. */
  confusion: readonly (readonly number[])[];
  labels: readonly string[];
  title: string;
  /** Default: sized to the number of labels. */
  width?: number;
  height?: number;
}

/**
 * Builds the SVG of a confusion matrix: rows = truth, columns = prediction; each cell shows the count and
 * the row percentage (the recall share) and is shaded by that share, so a rare label reads as clearly as a
 * common one. The diagonal is blue, errors are orange.
 */
export function confusionMatrixSvg(options: ConfusionMatrixOptions): string {
  const { confusion, labels, title } = options;
  const k = labels.length;
  if (k === 0 || confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new MaskEdgeError('E_USAGE', 'confusion matrix must be square with one row per label', {
      detail: { labels: [...labels], rows: confusion.length },
    });
  }
  const longest = Math.max(...labels.map((l) => l.length));
  const labelW = Math.max(70, longest * 8 + 16);
  const cell = Math.max(70, Math.min(130, Math.floor(480 / k)));
  const left = 44 + labelW;
  const top = 96;
  const width = options.width ?? left + cell * k + 130;
  const height = options.height ?? top + cell * k + 70;
  checkSize(width, height);
  const parts: string[] = [];
  parts.push(svgText(width / 2, 28, title, { size: 18, anchor: 'middle', weight: 'bold' }));
  parts.push(svgText(left + (cell * k) / 2, 56, 'predicted', { size: 13, anchor: 'middle', color: '#555' }));
  parts.push(
    svgText(left - labelW - 14, top + (cell * k) / 2, 'truth', {
      size: 13,
      anchor: 'middle',
      rotate: -90,
      color: '#555',
    }),
  );
  labels.forEach((label, j) => {
    parts.push(
      svgText(left + cell * j + cell / 2, top - 12, label, { size: 13, anchor: 'middle', weight: 'bold' }),
    );
    parts.push(
      svgText(left - 10, top + cell * j + cell / 2, label, {
        size: 13,
        anchor: 'end',
        baseline: 'middle',
        weight: 'bold',
      }),
    );
  });
  confusion.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, c) => {
      const share = total > 0 ? count / total : 0;
      const fill = cellColour(share, r === c);
      const x = left + cell * c;
      const y = top + cell * r;
      const ink = share > 0.55 ? '#ffffff' : '#222222';
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff" stroke-width="2"/>`,
      );
      parts.push(
        svgText(x + cell / 2, y + cell / 2 - 4, String(count), {
          size: 18,
          anchor: 'middle',
          weight: 'bold',
          color: ink,
        }),
      );
      const pct = total > 0 ? `${(share * 100).toFixed(1)}%` : '–';
      parts.push(svgText(x + cell / 2, y + cell / 2 + 18, pct, { size: 12, anchor: 'middle', color: ink }));
    });
    parts.push(
      svgText(left + cell * k + 12, top + cell * r + cell / 2, `n=${total}`, {
        size: 12,
        baseline: 'middle',
        color: '#555',
      }),
    );
  });
  parts.push(
    svgText(left, top + cell * k + 28, 'cells: count and share of the truth row (recall on the diagonal)', {
      size: 11,
      color: '#777',
    }),
  );
  return svgDocument(width, height, parts.join(''));
}

/** Renders a confusion matrix to a PNG buffer. */
export async function renderConfusionMatrixPng(options: ConfusionMatrixOptions): Promise<Buffer> {
  return svgToPng(confusionMatrixSvg(options));
}

/** White -> blue on the diagonal, white -> orange off it, by row share. */
function cellColour(share: number, diagonal: boolean): string {
  const [r, g, b] = diagonal ? [0, 90, 170] : [213, 94, 0];
  const t = Math.max(0, Math.min(1, share)) ** 0.7;
  const mix = (c: number) => Math.round(248 + (c - 248) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}
