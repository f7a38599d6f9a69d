/** One readable line per alert (or one JSON line), for terminals, logs and pipes. */
import type { Label } from '../../core/labels.js';
import type { MaskEvent } from '../events/event-types.js';

const LABEL_TEXT: Record<Label, string> = {
  correct: 'mask OK',
  incorrect: 'MASK WORN INCORRECTLY',
  no_mask: 'NO MASK',
};

const LABEL_COLOUR: Record<Label, string> = { correct: '32', incorrect: '33', no_mask: '31' };

export interface FormatOptions {
  json?: boolean;
  colour?: boolean;
}

export function formatAlert(event: MaskEvent, options: FormatOptions = {}): string {
  if (options.json) return JSON.stringify(event);
  const time = event.ts.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, 'Z');
  const label = LABEL_TEXT[event.label];
  const shown = options.colour ? `\u001b[1;${LABEL_COLOUR[event.label]}m${label}\u001b[0m` : label;
  const [x, y, w, h] = event.box.map((v) => Math.round(v));
  const change = event.type === 'new' ? 'new person' : event.type === 'update' ? 'label changed' : 'left';
  return (
    `${time}  ${event.device}/${event.camera}  ${shown}  track ${event.trackId} (${change})  ` +
    `score ${event.score.toFixed(2)}  box ${x},${y} ${w}x${h}  seq ${event.seq}`
  );
}
