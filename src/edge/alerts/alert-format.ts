/**
 * One readable line per alert (or one JSON line), for terminals, logs and pipes. Payloads come from
 * whoever can publish on the broker, so every printed string is made safe: control characters (ESC
 * sequences that clear the screen, set the title or write the clipboard; CR/LF that forge a second line),
 * C1 controls and bidirectional overrides are replaced, and each field is cut to a fixed length. The
 * device and camera shown are the topic's, not the payload's; a payload that claims another is flagged.
 */
import type { Label } from '../../core/labels.js';
import { stripControlCharacters } from '../../core/secret-text.js';
import type { MaskEvent } from '../events/event-types.js';

const LABEL_TEXT: Record<Label, string> = {
  correct: 'mask OK',
  incorrect: 'MASK WORN INCORRECTLY',
  no_mask: 'NO MASK',
};

const LABEL_COLOUR: Record<Label, string> = { correct: '32', incorrect: '33', no_mask: '31' };

/** Longest device or camera id printed (ids in config are at most 64 characters). */
export const MAX_ID_CHARS = 64;
/** Longest other string field printed (model name, version, event id). */
export const MAX_FIELD_CHARS = 128;

/** Bidirectional overrides and isolates (they reorder what a terminal shows). */
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A payload string made safe to print: no control or bidi characters, at most `max` characters. */
export function safeText(value: string, max: number): string {
  const clean = stripControlCharacters(value).replace(BIDI, '?');
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
}

/** Where an event really came from (its topic) and what its payload claimed when that differs. */
export interface AlertOrigin {
  device: string;
  camera: string;
  /** The payload's device/camera when they differ from the topic's (a device posing as another). */
  claimed?: { device: string; camera: string };
}

export interface FormatOptions {
  json?: boolean;
  colour?: boolean;
  /** The topic's device and camera (default: the payload's). */
  origin?: AlertOrigin;
}

/** The event with every string field made safe and device/camera taken from the origin. */
export function safeEvent(
  event: MaskEvent,
  origin?: AlertOrigin,
): MaskEvent & { claimed?: AlertOrigin['claimed'] } {
  const safe = {
    ...event,
    id: safeText(event.id, MAX_FIELD_CHARS),
    device: safeText(origin?.device ?? event.device, MAX_ID_CHARS),
    camera: safeText(origin?.camera ?? event.camera, MAX_ID_CHARS),
    model: {
      name: safeText(event.model.name, MAX_FIELD_CHARS),
      version: safeText(event.model.version, MAX_FIELD_CHARS),
    },
  };
  if (!origin?.claimed) return safe;
  return {
    ...safe,
    claimed: {
      device: safeText(origin.claimed.device, MAX_ID_CHARS),
      camera: safeText(origin.claimed.camera, MAX_ID_CHARS),
    },
  };
}

export function formatAlert(event: MaskEvent, options: FormatOptions = {}): string {
  const safe = safeEvent(event, options.origin);
  // JSON.stringify escapes C0 controls but not C1 (U+0080-U+009F, 8-bit CSI on some terminals) or bidi.
  if (options.json)
    return JSON.stringify(safe).replace(
      /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  const time = safe.ts.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, 'Z');
  const label = LABEL_TEXT[safe.label];
  const shown = options.colour ? `\u001b[1;${LABEL_COLOUR[safe.label]}m${label}\u001b[0m` : label;
  const [x, y, w, h] = safe.box.map((v) => Math.round(v));
  const change = safe.type === 'new' ? 'new person' : safe.type === 'update' ? 'label changed' : 'left';
  const claim = safe.claimed
    ? `  [payload claims ${safe.claimed.device}/${safe.claimed.camera}: topic and payload disagree]`
    : '';
  return (
    `${time}  ${safe.device}/${safe.camera}  ${shown}  track ${safe.trackId} (${change})  ` +
    `score ${safe.score.toFixed(2)}  box ${x},${y} ${w}x${h}  seq ${safe.seq}${claim}`
  );
}
