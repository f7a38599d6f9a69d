import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, describeIssues } from './config-issues.js';
import { resolveConfigReferences } from './config-references.js';
import { MaskEdgeError } from './errors.js';

export type { ConfigIssue } from './config-issues.js';

/**
 * Validates a plain object against a strict zod schema, listing every problem once with its path, what is
 * allowed and the value found (unknown keys get the nearest known key).
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source = 'config'): z.infer<S> {
  let result: z.ZodSafeParseResult<z.infer<S>>;
  try {
    result = schema.safeParse(raw ?? {}) as z.ZodSafeParseResult<z.infer<S>>;
  } catch (cause) {
    // A refinement that throws on an absurd value (never expected): still a coded config error.
    throw new MaskEdgeError('E_CONFIG', `${source} is invalid: ${(cause as Error).message}`, {
      detail: { source },
      cause,
    });
  }
  if (result.success) return result.data;
  const issues: ConfigIssue[] = describeIssues(schema, raw ?? {}, result.error.issues);
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  throw new MaskEdgeError('E_CONFIG', `${source} is invalid (${issues.length} problem(s)):\n${lines}`, {
    detail: { source, issues },
  });
}

/**
 * Reads a YAML (or JSON) file, resolves `${ENV}` / `${credential:NAME}` references in its strings
 * (core/config-references) and validates it.
 */
export function loadConfigFile<S extends z.ZodType>(
  schema: S,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
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
  return validateConfig(schema, resolveConfigReferences(raw, env, file), file);
}
