/** The real CLI entry, compiled for child-process tests (signals, exit codes). */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
