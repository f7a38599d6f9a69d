/**
 * Readable config problems: each zod issue becomes one line with its path, what is allowed (range, choices,
 * known keys) and the value found, plus the nearest known key for a typo, like the CLI's "did you mean".
 * Values of secret-looking keys are never shown; long strings are cut.
 */
import type { z } from 'zod';
import { redactUrlCredentials, stripControlCharacters } from './secret-text.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

const SECRET_KEY = /pass(word)?|secret|token|key$|private|credential/i;
const SHOWN_CHARS = 40;

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (default, optional, prefault, pipe/preprocess) down to the schema that validates. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.out)
      current = defOf(def.out).type === 'transform' ? def.in! : def.out;
    else return current;
  }
  return current;
}

/** The schema at a path, following objects, arrays and discriminated unions (by the raw value's tag). */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[], raw: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = raw;
  for (const key of path) {
    if (!schema) return undefined;
    schema = pickUnionMember(unwrap(schema), value);
    const def = defOf(schema);
    if (def.type === 'object' && def.shape) schema = def.shape[String(key)];
    else if (def.type === 'array' && def.element) schema = def.element;
    else return undefined;
    value = valueAt(value, [key]);
  }
  return schema ? pickUnionMember(unwrap(schema), value) : undefined;
}

function pickUnionMember(schema: z.ZodType, value: unknown): z.ZodType {
  const def = defOf(schema);
  if (def.type !== 'union' || !def.options) return schema;
  if (def.discriminator && value && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    for (const option of def.options) {
      const member = unwrap(option);
      const literal = defOf(member).shape?.[def.discriminator];
      const values = (literal as unknown as { _zod?: { def?: { values?: unknown[] } } })?._zod?.def?.values;
      if (values?.includes(tag)) return member;
    }
  }
  return schema;
}

export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[String(key)];
  }
  return value;
}

/** Levenshtein distance (small strings: config keys). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The known key nearest to `key` when it is close enough to be a typo. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  if (!best) return undefined;
  const limit = best.key.length <= 4 ? 1 : Math.max(2, Math.floor(best.key.length / 4));
  const caseOnly = best.key.toLowerCase() === key.toLowerCase();
  if (caseOnly || best.distance <= limit) return best.key;
  // `fps` for `maxFps`, `interval` for `intervalSeconds`: a known key that contains the typed one.
  const lower = key.toLowerCase();
  return lower.length >= 3 ? known.find((k) => k.toLowerCase().includes(lower)) : undefined;
}

/** A short, safe rendering of a config value for an error line. */
export function showValue(value: unknown, path: readonly PropertyKey[]): string {
  const last = String(path[path.length - 1] ?? '');
  if (SECRET_KEY.test(last) && value !== undefined) return '(hidden)';
  if (typeof value === 'string') {
    const safe = stripControlCharacters(redactUrlCredentials(value));
    const cut = safe.length > SHOWN_CHARS ? `${safe.slice(0, SHOWN_CHARS)}... (${safe.length} chars)` : safe;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'an object';
}

/** The allowed range of a number schema in words ("a number > 0 and <= 600"), from its checks. */
export function numberRange(schema: z.ZodType | undefined): string | undefined {
  if (!schema || defOf(schema).type !== 'number') return undefined;
  const checks = (defOf(schema) as { checks?: { _zod: { def: Record<string, unknown> } }[] }).checks ?? [];
  let low: string | undefined;
  let high: string | undefined;
  let int = false;
  for (const check of checks) {
    const d = check._zod.def;
    if (d.check === 'greater_than') low = `${d.inclusive ? '>=' : '>'} ${d.value}`;
    if (d.check === 'less_than') high = `${d.inclusive ? '<=' : '<'} ${d.value}`;
    if (d.check === 'number_format' && String(d.format).includes('int')) int = true;
  }
  const what = int ? 'a whole number' : 'a number';
  if (low && high) return `${what} ${low} and ${high}`;
  if (low || high) return `${what} ${low ?? high}`;
  return int ? what : undefined;
}

/** One readable issue per zod issue (unknown keys: one per key, with the nearest known key). */
export function describeIssues(
  schema: z.ZodType,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (path: readonly PropertyKey[], message: string) => {
    const where = path.length ? path.map(String).join('.') : '(root)';
    const line = `${where}: ${message}`;
    if (seen.has(line)) return;
    seen.add(line);
    out.push({ path: where, message });
  };
  for (const issue of issues) {
    const path = issue.path;
    const value = valueAt(raw, path);
    if (issue.code === 'unrecognized_keys') {
      const target = schemaAt(schema, path, raw);
      const shape = target ? defOf(target).shape : undefined;
      const known = shape ? Object.keys(shape) : [];
      for (const key of issue.keys) {
        const near = nearestKey(key, known);
        add(
          [...path, key],
          `unknown key${near ? `; did you mean "${near}"?` : ''}${known.length ? ` (allowed here: ${known.join(', ')})` : ''}`,
        );
      }
      continue;
    }
    if (issue.code === 'too_big' || issue.code === 'too_small') {
      const range = numberRange(schemaAt(schema, path, raw));
      add(path, `${range ? `must be ${range}` : issue.message} (got ${showValue(value, path)})`);
      continue;
    }
    if (issue.code === 'invalid_value' || issue.code === 'invalid_union') {
      add(path, `${issue.message} (got ${showValue(value, path)})`);
      continue;
    }
    if (issue.code === 'invalid_type') {
      const range = numberRange(schemaAt(schema, path, raw));
      add(
        path,
        value === undefined
          ? `required (${range ?? issue.expected})`
          : `expected ${range ?? issue.expected}, got ${showValue(value, path)}`,
      );
      continue;
    }
    add(path, `${issue.message} (got ${showValue(value, path)})`);
  }
  return out;
}
