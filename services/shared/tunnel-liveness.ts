// Each end of a tunnel watches the other (issue 11, defect 3): the peer must speak HTTP/2 — send
// its SETTINGS — within tunnelSettingsTimeoutMs of the 101, and acknowledge every PING (one each
// tunnelPingIntervalMs) within tunnelPingTimeoutMs. A peer that fails either is declared dead at
// once: a frozen process, a peer that upgraded and went silent, a path that dropped without a FIN.
// Without this such a tunnel was noticed only by TCP, after ~110 s.
import type { Http2Session } from 'node:http2';
import type { ProxyConfig } from './config-schema.js';

export type TunnelLivenessSettings = Pick<ProxyConfig, 'tunnelPingIntervalMs' | 'tunnelPingTimeoutMs' | 'tunnelSettingsTimeoutMs'>;

export class TunnelLiveness {
  readonly #session: Http2Session;
  readonly #settings: TunnelLivenessSettings;
  readonly #onDead: (reason: string) => void;
  readonly #interval: NodeJS.Timeout;
  #deadline: NodeJS.Timeout | undefined;
  /** The peer sent its SETTINGS: it speaks HTTP/2. */
  #spoke = false;
  #outstanding = false;
  #over = false;
  #waiters: Array<(alive: boolean) => void> = [];

  constructor(session: Http2Session, settings: TunnelLivenessSettings, onDead: (reason: string) => void) {
    this.#session = session;
    this.#settings = settings;
    this.#onDead = onDead;
    const ms = settings.tunnelSettingsTimeoutMs;
    this.#deadline = setTimeout(() => this.#judge(() => !this.#spoke, `it sent no HTTP/2 SETTINGS within ${ms} ms of the upgrade`), ms).unref();
    session.once('remoteSettings', () => {
      this.#spoke = true;
      clearTimeout(this.#deadline);
      this.#settle(true);
    });
    this.#interval = setInterval(() => this.#ping(), settings.tunnelPingIntervalMs).unref();
    session.once('close', () => this.stop());
  }

  /** Whether the peer answers now: true once it acknowledges a PING (or sends its SETTINGS), false when it is declared dead. */
  probe(): Promise<boolean> {
    if (this.#over) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#ping();
    });
  }

  /** Stops watching (the tunnel is closing anyway); pending probes resolve false. */
  stop(): void {
    if (this.#over) return;
    this.#over = true;
    clearInterval(this.#interval);
    clearTimeout(this.#deadline);
    this.#settle(false);
  }

  #ping(): void {
    if (!this.#spoke || this.#outstanding || this.#over) return;
    const ms = this.#settings.tunnelPingTimeoutMs;
    try {
      this.#outstanding = this.#session.ping((err) => {
        this.#outstanding = false;
        clearTimeout(this.#deadline);
        if (!err) this.#settle(true);
      });
    } catch {
      return; // the session is closing: its 'close' stops this watcher
    }
    if (this.#outstanding) this.#deadline = setTimeout(() => this.#judge(() => this.#outstanding, `it did not acknowledge a PING within ${ms} ms`), ms).unref();
  }

  /**
   * A deadline passed. When this process's own event loop was blocked, the acknowledgement may be
   * waiting in the I/O queue behind the timer: the verdict waits for that I/O (setImmediate).
   */
  #judge(stillFailing: () => boolean, reason: string): void {
    setImmediate(() => {
      if (this.#over || !stillFailing()) return;
      this.stop();
      this.#onDead(reason);
    });
  }

  #settle(alive: boolean): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(alive);
  }
}
