/**
 * References in config strings, resolved when a config file is loaded (as Frigate does for camera URLs):
 *
 * - `${NAME}`: the environment variable NAME (`${NAME:-fallback}` when it may be unset);
 * - `${credential:NAME}`: the systemd credential NAME, i.e. the file `$CREDENTIALS_DIRECTORY/NAME`
 *   (`LoadCredential=` / `SetCredentialEncrypted=`), with one trailing newline removed;
 * - `$${` writes a literal `${`.
 *
 * A reference that cannot be resolved is an E_CONFIG error naming the field and the variable, never a value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MaskEdgeError } from './errors.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CREDENTIAL_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

export interface ReferenceProblem {
  path: string;
  message: string;
}

/** Resolves every reference in the string values of a parsed config (a new value; the input is not changed). */
export function resolveConfigReferences(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
): unknown {
  const problems: ReferenceProblem[] = [];
  const walk = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'string') return value.includes('${') ? resolveString(value, path) : value;
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)]));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };
  const resolveString = (text: string, path: string[]): string => {
    const where = path.length ? path.join('.') : '(root)';
    const unclosed = text.replace(REFERENCE, '').includes('${');
    if (unclosed) problems.push({ path: where, message: 'a "$' + '{" reference is not closed by "}"' });
    return text.replace(REFERENCE, (whole, inner: string | undefined) => {
      if (whole === '$${') return '${';
      const body = inner ?? '';
      if (body.startsWith('credential:')) {
        const name = body.slice('credential:'.length);
        if (!CREDENTIAL_NAME.test(name)) {
          problems.push({ path: where, message: `bad credential name '${name}' (letters, digits, _ . -)` });
          return '';
        }
        const dir = env.CREDENTIALS_DIRECTORY;
        const file = dir ? join(dir, name) : undefined;
        if (!file || !existsSync(file)) {
          problems.push({
            path: where,
            message: dir
              ? `systemd credential '${name}' not found in $CREDENTIALS_DIRECTORY (add LoadCredential=${name}:FILE to the unit)`
              : `systemd credential '${name}' referenced but $CREDENTIALS_DIRECTORY is not set (only under systemd with LoadCredential=${name}:FILE)`,
          });
          return '';
        }
        return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      }
      const dash = body.indexOf(':-');
      const name = dash >= 0 ? body.slice(0, dash) : body;
      if (!ENV_NAME.test(name)) {
        problems.push({
          path: where,
          message: `bad reference '\${${name}}': use \${ENV_NAME}, \${ENV_NAME:-fallback} or \${credential:NAME}`,
        });
        return '';
      }
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (dash >= 0) return body.slice(dash + 2);
      problems.push({
        path: where,
        message: `environment variable ${name} is not set (referenced as \${${name}})`,
      });
      return '';
    });
  };
  const resolved = walk(raw, []);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new MaskEdgeError(
      'E_CONFIG',
      `${source} has unresolved references (${problems.length}):\n${lines}`,
      {
        detail: { source, issues: problems },
      },
    );
  }
  return resolved;
}
