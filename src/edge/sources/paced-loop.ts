/** A polling loop for sources that fetch one frame at a time (photo folders, fswebcam captures). */
export interface PacedLoop {
  /** True once `stop()` was called: a step that awaited something checks it before delivering a frame. */
  readonly stopped: boolean;
  stop(): void;
}

/**
 * Runs `step` repeatedly, each run starting `intervalMs` after the previous one started (at once if it took longer),
 * until `step` resolves false or `stop()` is called. A step that throws goes to `onError` and ends the loop: for a
 * source that means "lost, reconnect", never an unhandled rejection.
 */
export function startPacedLoop(
  intervalMs: number,
  step: () => Promise<boolean>,
  onError: (err: unknown) => void,
): PacedLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async (): Promise<void> => {
    if (stopped) return;
    const startedAt = Date.now();
    if (!(await step())) return;
    if (!stopped) timer = setTimeout(safeRun, Math.max(0, intervalMs - (Date.now() - startedAt)));
  };
  const safeRun = (): void => {
    run().catch(onError);
  };
  timer = setTimeout(safeRun, 0);
  return {
    get stopped() {
      return stopped;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
