/** Child process for the SIGKILL test: appends events forever, printing each seq once it is durable. */
import { DiskOutbox } from '../../src/edge/outbox/disk-outbox.js';

const outbox = await DiskOutbox.open({ dir: process.argv[2]!, maxEvents: 100_000 });
process.stdout.write(`ready ${outbox.lastSeq}\n`);
for (;;) {
  const event = await outbox.append((seq) => ({ seq, note: 'x'.repeat(200) }));
  process.stdout.write(`durable ${event.seq}\n`);
  if (event.seq % 3 === 0) outbox.resolve(event.seq);
}
