// The one place the simulated world's configuration lives while scc-sim runs. It holds the YAML
// Document of the file (comments and order kept), the validated frozen Config, and a queue that
// applies changes one after another. Every change — from the admin API or a hand edit of the file —
// is: apply to a copy of the Document → validate the WHOLE resulting config (parseConfig, the same
// `path: message` problems as at start) → write the file atomically → swap → tell subscribers
// (awaited, in order). A change that fails validation or cannot be written changes nothing, in
// memory or on disk; two racing changes both land, in order.
//
// Two views are kept apart: `fileConfig` is what the file says (with defaults); `config` is what
// runs: environment overrides (SCC_SIM_*) and the runtime view (startSimulator's retargeting of
// mappings to ephemeral backend ports) applied. Only the Document is ever written, so nothing of
// the runtime view can reach the file. Without a file (a config object) nothing is written.
import { EventEmitter } from 'node:events';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { Document } from 'yaml';
import type { Config } from './config-schema.js';
import { ConfigError, deepFreeze, documentData, parseConfig, parseYamlDocument } from './config-load.js';
import { watchConfigFile, type FileWatch } from './config-watch.js';
import { silentLogger, type Logger } from './logger.js';
import { writeFileAtomic, withFileLock } from './atomic-file.js';
import { keepLayout } from './yaml-layout.js';

export type ConfigListener = (next: Config, previous: Config) => void | Promise<void>;
export type RuntimeView = (config: Config) => Config;
export type ChangeSource = 'api' | 'file' | 'view';

export interface ConfigStoreOptions {
  /** Environment overrides of deployment knobs (process.env in the CLI); never persisted. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/** Thrown by update() when the file on disk holds an invalid hand edit: writing now would lose it. */
export class ConfigFileConflict extends Error {
  constructor(readonly problems: string[], file: string) {
    super(`${file} has changes that are not valid (fix them first; the running configuration is unchanged): ${problems.join('; ')}`);
    this.name = 'ConfigFileConflict';
  }
}

const STRINGIFY = { lineWidth: 0, flowCollectionPadding: false } as const;

interface State { doc: Document; text: string; fileConfig: Config; config: Config }

export class ConfigStore extends EventEmitter {
  /** The config file (real path), or undefined for an in-memory config. */
  readonly file: string | undefined;
  readonly #env: Record<string, string | undefined>;
  #log: Logger;
  readonly #listeners = new Set<ConfigListener>();
  #state: State;
  #view: RuntimeView | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #watch: FileWatch | undefined;

  /** Reads and validates a config file. Throws ConfigError listing every problem. */
  static open(file: string, opts: ConfigStoreOptions = {}): ConfigStore {
    let text: string;
    let real: string;
    try {
      real = realpathSync(file);
      text = readFileSync(real, 'utf8');
    } catch (err) {
      throw new ConfigError(file, [`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
    }
    return new ConfigStore(real, parseYamlDocument(text, file), text, opts);
  }

  /** A store over a config object: changes apply in memory only. */
  static fromObject(input: object, opts: ConfigStoreOptions = {}): ConfigStore {
    return new ConfigStore(undefined, new Document(input), '', opts);
  }

  private constructor(file: string | undefined, doc: Document, text: string, opts: ConfigStoreOptions) {
    super();
    this.file = file;
    this.#env = opts.env ?? {};
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'config-store' });
    this.#state = this.#validate(doc, text);
  }

  /** Where refused hand edits and write problems are logged (the CLI sets it once the config said the level). */
  set logger(logger: Logger) { this.#log = logger.child({ component: 'config-store' }); }

  /** What runs: file view + environment overrides + runtime view. Frozen; replaced on every change. */
  get config(): Config { return this.#state.config; }
  /** What the file says (defaults applied): the admin API reads and shows this. */
  get fileConfig(): Config { return this.#state.fileConfig; }

  /** Calls `fn` after every applied change (awaited before the change's update() resolves). */
  subscribe(fn: ConfigListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Applies `change` to a copy of the Document. `change` may throw (then nothing changes); its
   * return value is what update() resolves with, once the change is validated, written and applied.
   */
  update<T>(change: (doc: Document, current: Config) => T, source: ChangeSource = 'api'): Promise<T> {
    return this.#enqueue(async () => {
      const previous = this.#state.config;
      try {
        const result = this.file === undefined
          ? this.#apply(change)
          : await withFileLock(this.file, async () => {
            await this.#adoptHandEdit();
            const applied = this.#apply(change, this.file);
            if (applied.state.text !== this.#state.text) await writeFileAtomic(this.file!, applied.state.text);
            return applied;
          });
        this.#state = result.state;
        return result.value;
      } finally {
        await this.#notify(previous, source); // also when only a hand edit was adopted
      }
    });
  }

  /** Sets the runtime-only transformation and re-applies it (startSimulator's ephemeral ports). */
  setRuntimeView(view: RuntimeView): Promise<void> {
    return this.#enqueue(async () => {
      const previous = this.#state.config;
      this.#view = view;
      this.#state = this.#validate(this.#state.doc, this.#state.text);
      await this.#notify(previous, 'view');
    });
  }

  /** Watches the file for hand edits: valid ones are applied like API changes, invalid ones refused and logged. */
  watch(): void {
    if (this.file === undefined || this.#watch !== undefined) return;
    this.#watch = watchConfigFile(this.file, () => void this.#enqueue(() => this.#reloadFromFile()).catch((err) => {
      this.#log.error({ err, file: this.file }, 'could not re-read the config file');
    }), this.#log);
  }

  /** Resolves when every queued change is done. */
  settled(): Promise<void> { return this.#queue.then(() => undefined); }

  close(): void {
    this.#watch?.close();
    this.#watch = undefined;
    this.#listeners.clear();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The change on a copy, validated; nothing is swapped yet. */
  #apply<T>(change: (doc: Document, current: Config) => T, file?: string): { value: T; state: State } {
    const draft = this.#state.doc.clone();
    const value = change(draft, this.#state.fileConfig);
    const text = file === undefined ? '' : keepLayout(this.#state.text, draft.toString(STRINGIFY));
    return { value, state: this.#validate(draft, text) };
  }

  /** Before writing: a hand edit the watcher has not applied yet is built on, never overwritten. */
  async #adoptHandEdit(): Promise<void> {
    const onDisk = readFileSync(this.file!, 'utf8');
    if (onDisk === this.#state.text) return;
    try {
      this.#state = this.#validate(parseYamlDocument(onDisk, this.file!), onDisk);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigFileConflict(err.problems, this.file!);
      throw err;
    }
    this.#log.info({ file: this.file }, 'config file changed: applied');
  }

  async #reloadFromFile(): Promise<void> {
    let text: string;
    try {
      text = readFileSync(this.file!, 'utf8');
    } catch (err) {
      this.#log.error({ file: this.file, code: (err as NodeJS.ErrnoException).code }, 'the config file cannot be read; the running configuration stays');
      return;
    }
    if (text === this.#state.text) return; // our own write, or nothing changed
    const previous = this.#state.config;
    try {
      this.#state = this.#validate(parseYamlDocument(text, this.file!), text);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#log.error({ file: this.file, problems: err.problems.length }, `config file change refused, the running configuration stays: ${this.file}`);
      for (const problem of err.problems) this.#log.error({ file: this.file, problem }, problem);
      this.emit('rejected', err.problems);
      return;
    }
    this.#log.info({ file: this.file }, 'config file changed: applied');
    await this.#notify(previous, 'file');
  }

  #validate(doc: Document, text: string): State {
    const input = documentData(doc, this.file ?? '(object)');
    const opts = { baseDir: this.file === undefined ? process.cwd() : dirname(this.file), source: this.file ?? '(object)' };
    const fileConfig = parseConfig(input, opts);
    const hasEnv = Object.values(this.#env).some((v) => v !== undefined && v !== '');
    const withEnv = hasEnv ? parseConfig(input, { ...opts, env: this.#env }) : fileConfig;
    return { doc, text, fileConfig, config: this.#view ? deepFreeze(this.#view(withEnv)) : withEnv };
  }

  /** Tells every subscriber, in order, awaiting each; a failing subscriber is logged and does not undo the change. */
  async #notify(previous: Config, source: ChangeSource): Promise<void> {
    const next = this.#state.config;
    if (next === previous) return;
    for (const fn of this.#listeners) {
      try {
        await fn(next, previous);
      } catch (err) {
        this.#log.error({ err }, 'applying a configuration change failed');
      }
    }
    this.emit('change', next, source);
  }
}
