/**
 * Publishes the Home Assistant discovery messages (retained, QoS 1) on every connect and removes the ones
 * this device announced before but no longer does (a camera removed from the config, or discovery turned
 * off): an empty retained payload on the old config topic, which both clears the broker's retained copy
 * and tells Home Assistant to delete the entity.
 *
 * What was announced is remembered in a small JSON file in the agent's state folder (next to the outbox),
 * written only after the broker acknowledged every message. A file rather than reading the retained
 * topics back at start: it needs no subscription, no guess at how long to wait for retained messages, and
 * works the same with brokers that limit wildcard subscriptions. A missing or unreadable file means
 * "nothing announced before" (logged), so at worst an entity of a removed camera stays until removed by hand.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { DiscoveryMessage } from './ha-discovery.js';
import type { Publisher } from './mqtt-publisher.js';

export const DISCOVERY_STATE_FILE = 'home-assistant-discovery.json';

interface DiscoveryState {
  /** Config topics announced (retained) by this device. */
  topics: string[];
}

export interface DiscoveryAnnouncerOptions {
  publisher: Publisher;
  /** What to announce now (empty: discovery off; everything announced before is removed). */
  messages: readonly DiscoveryMessage[];
  stateFile: string;
  log: Logger;
}

export class DiscoveryAnnouncer {
  private stale: string[] | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Config topics removed (empty retained payload) since start. */
  readonly removed: string[] = [];

  constructor(private readonly o: DiscoveryAnnouncerOptions) {}

  /** Announces (and removes stale entities); called on every connect. Never rejects. */
  announce(): Promise<void> {
    this.running = this.running.then(() => this.announceOnce());
    return this.running;
  }

  /** Resolves when the announcements started so far are done (tests). */
  settled(): Promise<void> {
    return this.running;
  }

  private async announceOnce(): Promise<void> {
    const current = new Set(this.o.messages.map((m) => m.topic));
    this.stale ??= (await this.readState()).filter((t) => !current.has(t));
    try {
      for (const topic of this.stale) {
        await this.o.publisher.publish(topic, '', { qos: 1, retain: true });
        this.removed.push(topic);
      }
      this.stale = [];
      for (const m of this.o.messages) {
        await this.o.publisher.publish(m.topic, JSON.stringify(m.config), {
          qos: 1,
          retain: true,
          contentType: 'application/json',
        });
      }
      await this.writeState({ topics: [...current] });
      this.o.log.info('home assistant discovery', {
        announced: current.size,
        removed: this.removed.length,
      });
    } catch (err) {
      // Not connected any more, or the broker refused: the next connect tries again.
      this.o.log.warn('home assistant discovery not published', { error: err as Error });
    }
  }

  private async readState(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.o.stateFile, 'utf8');
    } catch {
      return [];
    }
    try {
      const state = JSON.parse(text) as Partial<DiscoveryState>;
      return Array.isArray(state.topics) ? state.topics.filter((t) => typeof t === 'string') : [];
    } catch (err) {
      this.o.log.warn('home assistant discovery state unreadable; nothing removed', {
        file: this.o.stateFile,
        error: err as Error,
      });
      return [];
    }
  }

  private async writeState(state: DiscoveryState): Promise<void> {
    await mkdir(dirname(this.o.stateFile), { recursive: true });
    const tmp = `${this.o.stateFile}.tmp`;
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(tmp, this.o.stateFile);
  }
}
