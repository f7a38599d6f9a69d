import { describe, expect, it } from 'vitest';
import { startPacedLoop } from '../../src/edge/sources/paced-loop.js';

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('startPacedLoop', () => {
  it('runs until the step says stop, and a throwing step ends the loop through onError', async () => {
    let runs = 0;
    startPacedLoop(
      1,
      async () => ++runs < 3,
      () => undefined,
    );
    await until(() => runs >= 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(3);

    const errors: unknown[] = [];
    let tries = 0;
    startPacedLoop(
      1,
      async () => {
        tries++;
        throw new Error('camera gone');
      },
      (err) => errors.push(err),
    );
    await until(() => errors.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(tries).toBe(1);
    expect((errors[0] as Error).message).toBe('camera gone');
  });

  it('stop() prevents further runs and is visible to a step in flight', async () => {
    let runs = 0;
    const loop = startPacedLoop(
      5,
      async () => {
        runs++;
        return true;
      },
      () => undefined,
    );
    await until(() => runs >= 2);
    loop.stop();
    const seen = runs;
    await new Promise((r) => setTimeout(r, 60));
    expect(loop.stopped).toBe(true);
    expect(runs).toBe(seen);
  });
});
