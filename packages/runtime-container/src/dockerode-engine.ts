// The ContainerEngine port over dockerode: Docker, or Podman's Docker-compatible service
// (`podman system service`). Only this file knows dockerode; errors leave it as EngineErrors.
import Docker from 'dockerode';
import type { ContainerEngine, ContainerInfo, ContainerRequest, LogFollow } from './container-engine.js';
import { Demuxer, demuxAll } from './demux.js';
import { EngineError } from './engine-error.js';

/** Where the engine listens: `unix:///path.sock`, `tcp://host:port`, `http(s)://host:port`. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  const host = dockerHost === undefined || dockerHost === '' ? 'unix:///var/run/docker.sock' : dockerHost;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const m = /^(tcp|http|https):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (m === null) {
    throw new EngineError(0, `DOCKER_HOST ${JSON.stringify(host)} is not unix:///path or tcp://host:port: set it to the engine's socket (e.g. unix:///run/podman/podman.sock)`);
  }
  const protocol = m[1] === 'https' ? 'https' : 'http';
  return { protocol, host: m[2] ?? 'localhost', port: Number(m[3] ?? (protocol === 'https' ? 2376 : 2375)) };
}

function ms(t: string | undefined): number | undefined {
  if (t === undefined || t === '' || t.startsWith('0001-')) return undefined;
  const v = Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}

/** dockerode's errors carry `statusCode` and the engine's `json.message`; socket errors a `code`. */
function engineError(e: unknown, what: string): EngineError {
  const err = e as { statusCode?: unknown; json?: { message?: unknown } | null; message?: unknown; code?: unknown };
  const status = typeof err.statusCode === 'number' ? err.statusCode : 0;
  const detail = typeof err.json?.message === 'string' ? err.json.message : typeof err.message === 'string' ? err.message : String(e);
  const hint = status === 0 ? ' (is the Docker or Podman service running, and DOCKER_HOST pointing at it?)' : '';
  return new EngineError(status, `${what}: ${detail}${hint}`, { cause: e });
}

async function call<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw engineError(e, what);
  }
}

function toBytes(chunk: unknown): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
}

export class DockerodeEngine implements ContainerEngine {
  private readonly docker: Docker;

  /** `dockerHost` as in DOCKER_HOST; undefined: /var/run/docker.sock. */
  constructor(dockerHost: string | undefined) {
    this.docker = new Docker(dockerOptions(dockerHost));
  }

  async ping(): Promise<void> {
    await call('the container engine does not answer', () => this.docker.ping());
  }

  async inspect(name: string): Promise<ContainerInfo | undefined> {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await this.docker.getContainer(name).inspect();
    } catch (e) {
      const err = engineError(e, `inspecting container ${name}`);
      if (err.status === 404) return undefined;
      throw err;
    }
    const s = c.State;
    const startedAt = ms(s.StartedAt);
    const finishedAt = ms(s.FinishedAt);
    const hc = c.HostConfig;
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      image: c.Config.Image,
      labels: c.Config.Labels ?? {},
      status: s.Status,
      running: s.Running,
      exitCode: s.ExitCode,
      oomKilled: s.OOMKilled,
      ...(s.Error ? { error: s.Error } : {}),
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(finishedAt !== undefined ? { finishedAt } : {}),
      ...(hc.Memory ? { memoryBytes: hc.Memory } : {}),
      ...(hc.NanoCpus ? { nanoCpus: hc.NanoCpus } : {}),
    };
  }

  async create(req: ContainerRequest): Promise<'created' | 'exists'> {
    try {
      await this.docker.createContainer({
        name: req.name,
        Image: req.image,
        ...(req.entrypoint !== undefined ? { Entrypoint: [...req.entrypoint] } : {}),
        ...(req.cmd !== undefined ? { Cmd: [...req.cmd] } : {}),
        Env: [...req.env],
        Labels: { ...req.labels },
        ...(req.workingDir !== undefined ? { WorkingDir: req.workingDir } : {}),
        Tty: false,
        AttachStdin: false,
        OpenStdin: false,
        HostConfig: {
          Mounts: req.mounts.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target })),
          ...(req.memoryBytes !== undefined ? { Memory: req.memoryBytes } : {}),
          ...(req.nanoCpus !== undefined ? { NanoCpus: req.nanoCpus } : {}),
          RestartPolicy: { Name: 'no' },
        },
      });
      return 'created';
    } catch (e) {
      const err = engineError(e, `creating container ${req.name}`);
      if (err.status === 409) return 'exists';
      throw err;
    }
  }

  async start(name: string): Promise<void> {
    await call(`starting container ${name}`, () => this.docker.getContainer(name).start());
  }

  async signal(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(name).kill({ signal });
    } catch (e) {
      const err = engineError(e, `sending ${signal} to container ${name}`);
      // 404: gone; 409 (Docker) / 500 "not running" (Podman): it has ended already.
      if (err.status === 404 || err.status === 409 || /not running|is not running|stopped|exited/i.test(err.message)) return;
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true });
    } catch (e) {
      const err = engineError(e, `removing container ${name}`);
      if (err.status === 404) return;
      throw err;
    }
  }

  async list(labels: Readonly<Record<string, string>>): Promise<string[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const found = await call('listing containers', () => this.docker.listContainers({ all: true, filters: JSON.stringify({ label }) }));
    // The filter is the engine's; the labels are checked again here, exactly.
    return found
      .filter((c) => Object.entries(labels).every(([k, v]) => c.Labels[k] === v))
      .map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (e) {
      const err = engineError(e, `inspecting image ${image}`);
      if (err.status === 404) return false;
      throw err;
    }
  }

  async pull(image: string): Promise<void> {
    const stream = await call(`pulling image ${image}`, () => this.docker.pull(image));
    // The engine answers 200 and reports a failure inside the progress stream.
    const events = await new Promise<unknown[]>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, out: unknown[]) => (err ? reject(engineError(err, `pulling image ${image}`)) : resolve(out)));
    });
    for (const ev of events) {
      const m = (ev as { error?: unknown; errorDetail?: { message?: unknown } }).errorDetail?.message ?? (ev as { error?: unknown }).error;
      if (typeof m === 'string' && m !== '') throw new EngineError(500, `pulling image ${image}: ${m}`);
    }
  }

  async logs(name: string): Promise<Uint8Array> {
    const buf = await call(`reading the log of container ${name}`, () => this.docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false }));
    return demuxAll(toBytes(buf));
  }

  async followLogs(name: string, follow: LogFollow): Promise<void> {
    if (follow.signal.aborted) return;
    const stream = await call(`following the log of container ${name}`, () =>
      this.docker.getContainer(name).logs({ stdout: true, stderr: true, follow: true, abortSignal: follow.signal }),
    ).catch((e: unknown) => {
      if (follow.signal.aborted) return undefined;
      throw e;
    });
    if (stream === undefined) return;
    const demux = new Demuxer(follow.onData);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        resolve();
      };
      follow.signal.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (chunk: unknown) => {
        if (!follow.signal.aborted) demux.push(toBytes(chunk));
      });
      const done = (): void => {
        follow.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', (e: unknown) => {
        follow.signal.removeEventListener('abort', onAbort);
        if (follow.signal.aborted) resolve();
        else reject(engineError(e, `following the log of container ${name}`));
      });
    });
  }
}
