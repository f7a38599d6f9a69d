/**
 * Home Assistant MQTT discovery messages (pure; tested directly and against mosquitto). Per camera: a
 * binary sensor "mask alert" (on while someone with `incorrect` or `no_mask` is seen) and one sensor per
 * label with the current count, all read from the camera's retained `state` topic the agent already
 * publishes, tied to one Home Assistant device per agent (`device.identifiers`) and to the agent's
 * availability topic (retained `online`, `offline` as last will). Topics follow Home Assistant's
 * `<discovery prefix>/<component>/<node_id>/<object_id>/config` convention.
 */
import { LABELS, type Label } from '../../core/labels.js';
import { deviceTopics } from './mqtt-topics.js';

export interface DiscoveryMessage {
  topic: string;
  /** The config payload (JSON-encoded when published). */
  config: Record<string, unknown>;
}

export interface DiscoveryInput {
  discoveryPrefix: string;
  topicPrefix: string;
  device: string;
  cameras: readonly string[];
  /** Agent version for the device's sw_version and the origin block. */
  version?: string;
}

const LABEL_NAMES: Readonly<Record<Label, string>> = {
  correct: 'mask worn correctly',
  incorrect: 'mask worn incorrectly',
  no_mask: 'no mask',
};

/** A device id as a discovery node_id / unique-id part (Home Assistant allows [A-Za-z0-9_-]). */
export function discoveryNodeId(device: string): string {
  return device.replace(/[^A-Za-z0-9_-]/g, '_');
}

export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  const topics = deviceTopics(input.topicPrefix, input.device);
  const node = discoveryNodeId(input.device);
  const device = {
    identifiers: [`mask_edge_${node}`],
    name: `mask-edge ${input.device}`,
    manufacturer: 'mask-edge',
    model: 'mask-edge agent',
    ...(input.version ? { sw_version: input.version } : {}),
  };
  const common = {
    availability_topic: topics.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    device,
    origin: { name: 'mask-edge', ...(input.version ? { sw_version: input.version } : {}) },
  };
  const out: DiscoveryMessage[] = [];
  for (const camera of input.cameras) {
    const object = `${camera}_mask_alert`;
    out.push({
      topic: `${input.discoveryPrefix}/binary_sensor/${node}/${object}/config`,
      config: {
        name: `${camera} mask alert`,
        unique_id: `mask_edge_${node}_${object}`,
        object_id: `mask_edge_${node}_${object}`,
        state_topic: topics.state(camera),
        value_template:
          "{{ 'ON' if (value_json.counts.incorrect | int(0)) + (value_json.counts.no_mask | int(0)) > 0 else 'OFF' }}",
        payload_on: 'ON',
        payload_off: 'OFF',
        device_class: 'problem',
        json_attributes_topic: topics.state(camera),
        ...common,
      },
    });
    for (const label of LABELS) {
      const labelObject = `${camera}_${label}_count`;
      out.push({
        topic: `${input.discoveryPrefix}/sensor/${node}/${labelObject}/config`,
        config: {
          name: `${camera} ${LABEL_NAMES[label]}`,
          unique_id: `mask_edge_${node}_${labelObject}`,
          object_id: `mask_edge_${node}_${labelObject}`,
          state_topic: topics.state(camera),
          value_template: `{{ value_json.counts.${label} | int(0) }}`,
          unit_of_measurement: 'people',
          state_class: 'measurement',
          icon: label === 'correct' ? 'mdi:face-mask' : 'mdi:face-mask-outline',
          ...common,
        },
      });
    }
  }
  return out;
}
