import { CommanderError } from 'commander';
import { ERROR_CODES, exitCodeFor, formatError, MaskEdgeError } from '../core/errors.js';
import { buildProgram } from './program.js';

/**
 * The single error boundary: runs the program and maps every failure to an exit code
 * (coded errors by their code, commander usage errors to E_USAGE, anything else to E_INTERNAL).
 */
export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe(process.stdout);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? 0 : ERROR_CODES.E_USAGE.exit;
    }
    process.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}

/**
 * `mask-edge ... | head -1`: once the reader has gone, writing to stdout fails with EPIPE. That is the
 * reader's choice, not an error: stop writing and exit quietly (0, like `yes | head -1`), never with an
 * unhandled-'error' stack trace.
 */
const guardedStreams = new WeakSet<NodeJS.WritableStream>();

export function quietOnClosedPipe(
  stream: NodeJS.WritableStream,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  if (guardedStreams.has(stream)) return;
  guardedStreams.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(0);
    else throw err;
  });
}

/** For commands whose implementation has not landed yet. */
export function notYetAvailable(command: string): never {
  throw new MaskEdgeError(
    'E_NOT_IMPLEMENTED',
    `'mask-edge ${command}' is not yet available in this version`,
    {
      detail: { command },
    },
  );
}
