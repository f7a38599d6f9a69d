/**
 * Every error the tool raises on purpose carries a stable code. The CLI's error boundary maps codes to
 * exit codes; logs and tests match on codes, never on message text.
 */
import { redactUrlCredentials } from './secret-text.js';

export const ERROR_CODES = {
  E_USAGE: { exit: 2, what: 'bad command-line usage' },
  E_CONFIG: { exit: 3, what: 'invalid configuration' },
  E_NOT_FOUND: { exit: 4, what: 'a file or folder does not exist' },
  E_DATA: { exit: 5, what: 'a dataset is empty, malformed or unlabelled' },
  E_IMAGE: { exit: 5, what: 'an image cannot be decoded' },
  E_MODEL: { exit: 6, what: 'a model file is missing, corrupt or has the wrong contract' },
  E_BACKEND: { exit: 7, what: 'no compute backend or execution provider could start' },
  E_UNSUPPORTED: { exit: 8, what: 'a layer, op or feature is not supported' },
  E_QUALITY: { exit: 9, what: 'a result missed a required quality bound' },
  E_SOURCE: { exit: 10, what: 'a frame source failed' },
  E_BROKER: { exit: 11, what: 'the MQTT broker cannot be reached or refused us' },
  E_TLS: { exit: 11, what: 'TLS material is missing or invalid' },
  E_DISK: { exit: 13, what: 'a disk is full or refused a write' },
  E_NOT_IMPLEMENTED: { exit: 12, what: 'this command is not yet available' },
  E_INTERRUPTED: { exit: 130, what: 'interrupted by a signal' },
  E_INTERNAL: { exit: 70, what: 'an unexpected internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface MaskEdgeErrorOptions {
  /** The offending value, path or field, shown to the user. */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class MaskEdgeError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: MaskEdgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MaskEdgeError';
    this.code = code;
    this.detail = options.detail ?? {};
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export function isMaskEdgeError(err: unknown, code?: ErrorCode): err is MaskEdgeError {
  return err instanceof MaskEdgeError && (code === undefined || err.code === code);
}

/** Exit code for any thrown value: coded errors by their code, anything else is internal. */
export function exitCodeFor(err: unknown): number {
  return err instanceof MaskEdgeError ? err.exitCode : ERROR_CODES.E_INTERNAL.exit;
}

/** One readable line (plus detail) for a terminal; URL credentials in it are redacted. */
export function formatError(err: unknown): string {
  return redactUrlCredentials(formatErrorText(err));
}

function formatErrorText(err: unknown): string {
  if (err instanceof MaskEdgeError) {
    // Each fact once: config issues are already lines of the message, and so is a detail repeated in it.
    const detail = Object.entries(err.detail)
      .filter(([k, v]) => k !== 'issues' && !(typeof v === 'string' && err.message.includes(v)))
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('\n');
    return `error ${err.code}: ${err.message}${detail ? `\n${detail}` : ''}`;
  }
  if (err instanceof Error) return `error E_INTERNAL: ${err.stack ?? err.message}`;
  return `error E_INTERNAL: ${String(err)}`;
}
