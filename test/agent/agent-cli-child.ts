// The real `mask-edge` CLI entry, compiled by the test into a child process it can signal.
import { main } from '../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
