/**
 * Topic names: `<prefix>/<device>/availability|stats`, `<prefix>/<device>/<camera>/events|state|snapshot`
 * and the retained latest snapshot per label `<prefix>/<device>/<camera>/<label>/snapshot`.
 */
export interface DeviceTopics {
  availability: string;
  stats: string;
  events(camera: string): string;
  state(camera: string): string;
  snapshot(camera: string): string;
  labelSnapshot(camera: string, label: string): string;
}

export function deviceTopics(prefix: string, device: string): DeviceTopics {
  const base = `${prefix}/${device}`;
  return {
    availability: `${base}/availability`,
    stats: `${base}/stats`,
    events: (camera) => `${base}/${camera}/events`,
    state: (camera) => `${base}/${camera}/state`,
    snapshot: (camera) => `${base}/${camera}/snapshot`,
    labelSnapshot: (camera, label) => `${base}/${camera}/${label}/snapshot`,
  };
}

/** Subscription filter for events: `+` for any device/camera; `$share/<group>/...` for a shared subscription. */
export function eventsFilter(options: {
  prefix: string;
  device?: string;
  camera?: string;
  group?: string;
}): string {
  const filter = `${options.prefix}/${options.device ?? '+'}/${options.camera ?? '+'}/events`;
  return options.group ? `$share/${options.group}/${filter}` : filter;
}

/** Splits an events topic back into device and camera (undefined when it is not one). */
export function parseEventsTopic(
  prefix: string,
  topic: string,
): { device: string; camera: string } | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const rest = topic.slice(prefix.length + 1).split('/');
  if (rest.length !== 3 || rest[2] !== 'events') return undefined;
  return { device: rest[0]!, camera: rest[1]! };
}
