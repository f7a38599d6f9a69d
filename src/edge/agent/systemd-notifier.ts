/**
 * sd_notify for the agent: READY=1 once models are open and cameras started, WATCHDOG=1 every half
 * watchdog period while the agent is healthy, STOPPING=1 on shutdown, STATUS= lines for `systemctl status`.
 *
 * Node cannot send on a unix datagram socket, so messages go through the `systemd-notify` binary, run
 * directly by the agent (no shell): systemd-notify then sends on behalf of its parent, the agent's pid.
 * The unit still needs `NotifyAccess=all` because the datagram comes from a child process. Nothing
 * happens unless $NOTIFY_SOCKET is set, i.e. outside systemd the notifier is inert.
 */
import { execFile } from 'node:child_process';
import { log as defaultLog, type Logger } from '../../core/logger.js';

export type NotifyRunner = (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<void>;

export interface SystemdNotifierOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  /** Runs the notify command (default: execFile with a 5 s timeout). */
  runner?: NotifyRunner;
  binary?: string;
  logger?: Logger;
}

/**
 * The systemd-notify command line for a set of fields, e.g. { READY: '1', STATUS: 'running' }. No `--pid`:
 * that would add MAINPID=; without it systemd-notify reports its parent (the agent) as the sender.
 */
export function notifyArgs(fields: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new RangeError(`invalid sd_notify field name: ${key}`);
    args.push(`${key}=${value.replace(/\n/g, ' ')}`);
  }
  return args;
}

/**
 * How often to send WATCHDOG=1: half of $WATCHDOG_USEC, and only when the watchdog is meant for this
 * process ($WATCHDOG_PID unset or equal to our pid). Undefined: no watchdog configured.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(100, Math.floor(usec / 1000 / 2));
}

const defaultRunner: NotifyRunner = (command, args, env) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 5000, env }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${command} failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });

export class SystemdNotifier {
  readonly enabled: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly pid: number;
  private readonly runner: NotifyRunner;
  private readonly binary: string;
  private readonly log: Logger;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private warned = false;
  /** Messages sent (for diagnostics and tests). */
  readonly sent: Record<string, string>[] = [];

  constructor(options: SystemdNotifierOptions = {}) {
    this.env = options.env ?? process.env;
    this.pid = options.pid ?? process.pid;
    this.runner = options.runner ?? defaultRunner;
    this.binary = options.binary ?? 'systemd-notify';
    this.log = (options.logger ?? defaultLog).child({ component: 'systemd' });
    this.enabled = Boolean(this.env.NOTIFY_SOCKET);
  }

  async notify(fields: Record<string, string>): Promise<boolean> {
    if (!this.enabled) return false;
    this.sent.push(fields);
    try {
      await this.runner(this.binary, notifyArgs(fields), { ...process.env, ...this.env });
      return true;
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.log.warn('systemd notification failed (is systemd-notify installed? NotifyAccess=all?)', {
          error: (err as Error).message,
        });
      }
      return false;
    }
  }

  ready(status: string): Promise<boolean> {
    return this.notify({ READY: '1', STATUS: status });
  }

  status(status: string): Promise<boolean> {
    return this.notify({ STATUS: status });
  }

  /** Pings the watchdog every half period while `healthy()` says so; a hung agent stops pinging. */
  startWatchdog(healthy: () => boolean): number | undefined {
    const interval = watchdogIntervalMs(this.env, this.pid);
    if (!this.enabled || interval === undefined) return undefined;
    this.watchdogTimer = setInterval(() => {
      if (healthy()) void this.notify({ WATCHDOG: '1' });
    }, interval);
    this.watchdogTimer.unref();
    return interval;
  }

  async stopping(status = 'stopping'): Promise<void> {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    await this.notify({ STOPPING: '1', STATUS: status });
  }
}
