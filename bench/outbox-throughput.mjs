#!/usr/bin/env node
// Event delivery throughput: what the outbox (append + fdatasync before publish) costs next to plain MQTT.
// Rows, run side by side on the same machine and broker (mosquitto on a loopback port, else embedded aedes):
//   outbox append only, one at a time (each awaits its own fsync)   -- worst case
//   outbox append only, 16 concurrent (group commit: one fsync per batch)
//   outbox append only, fsync off                                    -- the cost of durability
//   MqttEventSink: append + QoS 1 publish + PUBACK + ack record     -- the agent's real path
//   plain MQTT.js QoS 1 publish (16 in flight), no outbox           -- the peer
//
//   npx tsc -p tsconfig.build.json && node bench/outbox-throughput.mjs [--seconds 3] [--json]
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, json: { type: 'boolean' } },
});
const seconds = Number(args.seconds);
const { DiskOutbox } = await import(join(dist, 'edge/outbox/disk-outbox.js'));
const { MqttEventSink } = await import(join(dist, 'edge/mqtt/mqtt-event-sink.js'));
const { createPublisher } = await import(join(dist, 'edge/mqtt/mqtt-publisher.js'));
const { startEmbeddedBroker } = await import(join(dist, 'edge/demo/embedded-broker.js'));
const { Logger } = await import(join(dist, 'core/logger.js'));
const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });

const event = (seq) => ({
  id: `e-${seq}`,
  seq,
  device: 'bench',
  camera: 'door',
  ts: new Date().toISOString(),
  type: 'new',
  trackId: seq,
  label: 'no_mask',
  score: 0.9,
  box: [1, 2, 3, 4],
  frame: { width: 640, height: 480 },
  model: { name: 'm', version: '1' },
});
const draft = (i) => {
  const { id, seq, device, ts, ...rest } = event(i);
  return rest;
};

async function timed(name, body) {
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = process.hrtime.bigint();
  while (Date.now() < end) n += await body();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { name, events: n, seconds: +s.toFixed(2), perSecond: Math.round(n / s) };
}

async function broker() {
  const bin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
  if (!bin) return { ...(await startEmbeddedBroker()), kind: 'aedes (embedded)' };
  const port = await new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosq-'));
  chmodSync(dir, 0o777);
  writeFileSync(
    join(dir, 'm.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`,
  );
  const child = spawn(bin, ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return {
    url: `mqtt://127.0.0.1:${port}`,
    kind: 'mosquitto',
    close: async () => {
      child.kill('SIGTERM');
    },
  };
}

const rows = [];
for (const [name, opts, width] of [
  ['outbox append, 1 at a time, fsync', {}, 1],
  ['outbox append, 16 concurrent, fsync (group commit)', {}, 16],
  ['outbox append, 16 concurrent, fsync off', { fsync: false }, 16],
]) {
  const outbox = await DiskOutbox.open({
    dir: mkdtempSync(join(tmpdir(), 'bench-outbox-')),
    maxEvents: 1e7,
    ...opts,
  });
  rows.push(
    await timed(name, async () => {
      const batch = await Promise.all(Array.from({ length: width }, () => outbox.append(event)));
      for (const e of batch) outbox.resolve(e.seq);
      return width;
    }),
  );
  await outbox.close();
}

const b = await broker();
{
  const publisher = createPublisher({ url: b.url, clientId: 'bench-sink', protocolVersion: 5, log: quiet });
  await publisher.connect();
  const outbox = await DiskOutbox.open({ dir: mkdtempSync(join(tmpdir(), 'bench-sink-')), maxEvents: 1e7 });
  const sink = new MqttEventSink({
    device: 'bench',
    topicPrefix: 'bench',
    publisher,
    outbox,
    maxInflight: 16,
    log: quiet,
  });
  let i = 0;
  rows.push(
    await timed('MqttEventSink: outbox + QoS 1 + PUBACK (16 concurrent producers)', async () => {
      await Promise.all(Array.from({ length: 16 }, () => sink.publishEvent(draft(i++))));
      await sink.drained(10_000);
      return 16;
    }),
  );
  await sink.close();
}
{
  const publisher = createPublisher({ url: b.url, clientId: 'bench-plain', protocolVersion: 5, log: quiet });
  await publisher.connect();
  let i = 0;
  rows.push(
    await timed('plain MQTT.js QoS 1 publish, 16 in flight (peer, no outbox)', async () => {
      await Promise.all(
        Array.from({ length: 16 }, () =>
          publisher.publish('bench/plain', JSON.stringify(event(i++)), { qos: 1 }),
        ),
      );
      return 16;
    }),
  );
  await publisher.close();
}
await b.close();

const sinkRow = rows[3],
  peer = rows[4];
const summary = {
  broker: b.kind,
  cpus: cpus().length,
  load: loadavg().map((l) => +l.toFixed(1)),
  rows,
  sinkVsPlainMqtt: +(sinkRow.perSecond / peer.perSecond).toFixed(2),
};
if (args.json) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`broker: ${b.kind}, ${summary.cpus} cpus, load ${summary.load.join(' ')}`);
  for (const r of rows) console.log(`${String(r.perSecond).padStart(8)} events/s  ${r.name}`);
  console.log(`sink / plain MQTT ratio: ${summary.sinkVsPlainMqtt}`);
}
