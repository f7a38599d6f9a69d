import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { MaskEdgeError } from './errors.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

/** Validates a plain object against a strict zod schema, listing every problem with its path. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source = 'config'): z.infer<S> {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  throw new MaskEdgeError('E_CONFIG', `${source} is invalid (${issues.length} problem(s)):\n${lines}`, {
    detail: { source, issues },
  });
}

/** Reads a YAML (or JSON) file and validates it. */
export function loadConfigFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `config file not readable: ${file}`, {
      detail: { path: file },
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new MaskEdgeError(
      'E_CONFIG',
      `config file is not valid YAML: ${file}: ${(cause as Error).message}`,
      {
        detail: { path: file },
        cause,
      },
    );
  }
  return validateConfig(schema, raw, file);
}
