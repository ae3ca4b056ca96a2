// A running docker compose project, driven through the compose CLI the way a user drives it:
// `SCC_SIM_COMPOSE` names the command (`docker-compose` or `docker compose`), DOCKER_HOST the
// engine and COMPOSE_PROJECT_NAME the project (set by .ci/compose-check). Containers are found by
// compose's labels and inspected with `docker` (faster than a compose call per question).
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './cli-process.js';

export interface CommandResult { code: number | null; stdout: string; stderr: string }

export function runCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(argv: string[]): Promise<string> {
  const r = await runCommand(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** What `docker inspect` says about a container, the fields used here. */
export interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Health?: { Status: string } };
  NetworkSettings: {
    Networks: Record<string, { IPAddress: string }>;
    Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  };
  Mounts: Array<{ Type: string; Name?: string; Destination: string }>;
}

export class ComposeProject {
  readonly command: string[];
  readonly name: string;
  readonly #ids = new Map<string, string>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.command = (env.SCC_SIM_COMPOSE ?? 'docker compose').split(' ').filter(Boolean);
    if (!env.COMPOSE_PROJECT_NAME) throw new Error('COMPOSE_PROJECT_NAME is not set: run this through .ci/compose-check');
    this.name = env.COMPOSE_PROJECT_NAME;
  }

  /** `<compose> args…`, resolving with its output whatever the exit code. */
  compose(args: string[]): Promise<CommandResult> {
    return runCommand([...this.command, ...args]);
  }

  /**
   * The container of `service`, found by the labels compose (v1 and v2) puts on it; a restart
   * keeps the container, so the answer is kept too.
   */
  async containerId(service: string): Promise<string> {
    const known = this.#ids.get(service);
    if (known) return known;
    const ids = (await ok(['docker', 'ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`,
      '--filter', `label=com.docker.compose.service=${service}`])).trim().split('\n').filter(Boolean);
    if (ids.length !== 1) throw new Error(`${ids.length} containers for service ${service} of project ${this.name}`);
    this.#ids.set(service, ids[0]);
    return ids[0];
  }

  async inspect(service: string): Promise<ContainerInfo> {
    return (JSON.parse(await ok(['docker', 'inspect', await this.containerId(service)])) as ContainerInfo[])[0];
  }

  /** The host address and port a container port of `service` is published on. */
  async published(service: string, containerPort: number): Promise<{ host: string; port: number }> {
    const bound = (await this.inspect(service)).NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
    if (!bound) throw new Error(`${service}:${containerPort} is not published`);
    return { host: bound.HostIp, port: Number(bound.HostPort) };
  }

  /** Runs argv inside the running container of `service`. */
  async exec(service: string, argv: string[]): Promise<CommandResult> {
    return runCommand(['docker', 'exec', await this.containerId(service), ...argv]);
  }

  /** The IP address of `service` on the project's network `network` (e.g. onprem). */
  async address(service: string, network: string): Promise<string | undefined> {
    const nets = (await this.inspect(service)).NetworkSettings.Networks;
    return nets[`${this.name}_${network}`]?.IPAddress;
  }
}
