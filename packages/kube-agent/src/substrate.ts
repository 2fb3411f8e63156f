// Starts the Kubernetes test substrate: the kube-harness (real kube-apiserver on embedded etcd,
// built by scripts/build-kube-harness.sh) and the local node agent, each as a child process.
// Shared by the test fixture (scripts/fixtures/20-kube.mjs) and `npm run kube:up`.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readHarnessEnv, type HarnessEnv } from './harness-env.js';

export interface SubstrateOptions {
  /** Repository root (where scripts/build-kube-harness.sh is). */
  root: string;
  /** Harness state directory; default: a temporary one the harness removes on exit. */
  stateDir?: string;
  /** kube-controller-manager controllers to run (upstream names, comma-separated); '' for none. */
  controllers?: string;
  /** Progress and the children's error output; default: stderr. */
  log?: (line: string) => void;
  /** Apiserver start-up budget (default 120 s: it is CPU-bound and slow on 2 cores). */
  readyTimeoutMs?: number;
}

export interface RunningSubstrate {
  readonly kubeconfig: string;
  readonly harness: HarnessEnv;
  readonly harnessBinary: string;
  readonly agentPort: number;
  /** Milliseconds: harness build (≈0 when cached), harness start to READY, agent start to READY. */
  readonly timings: { buildMs: number; apiserverReadyMs: number; agentReadyMs: number };
  /** Stops the agent, then the harness (SIGTERM, SIGKILL after a grace period); waits for both. */
  stop(): Promise<void>;
}

/** Starts harness and agent. Throws an Error saying which step failed and why. */
export async function startKubeSubstrate(opts: SubstrateOptions): Promise<RunningSubstrate> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let t = Date.now();
  const harnessBinary = await buildHarness(opts.root, log);
  const buildMs = Date.now() - t;

  t = Date.now();
  const args = ['run', `--ready-timeout=${Math.round((opts.readyTimeoutMs ?? 120_000) / 1000)}s`, '--exit-with-parent'];
  if (opts.stateDir) args.push(`--state-dir=${opts.stateDir}`);
  if (opts.controllers !== undefined) args.push(`--controllers=${opts.controllers}`);
  const harness = spawn(harnessBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const harnessErr = collect(harness, 'kube-harness', log);
  let agent: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (agent) await terminate(agent, 15_000);
    await terminate(harness, 30_000);
  };
  try {
    const ready = await waitForLine(harness, /^READY (.+)$/, (opts.readyTimeoutMs ?? 120_000) + 15_000, 'kube-harness', harnessErr);
    const kubeconfig = ready[1] as string;
    const env = await readHarnessEnv(join(dirname(kubeconfig), 'env.json'));
    const apiserverReadyMs = Date.now() - t;

    t = Date.now();
    const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
    agent = spawn(process.execPath, [cli, '--harness-env', join(dirname(kubeconfig), 'env.json'), '--exit-with-parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const agentErr = collect(agent, 'kube-agent', log);
    const agentReady = await waitForLine(agent, /^READY node=(\S+) port=(\d+)$/, 30_000, 'kube-agent', agentErr);
    const agentReadyMs = Date.now() - t;
    return { kubeconfig, harness: env, harnessBinary, agentPort: Number(agentReady[2]), timings: { buildMs, apiserverReadyMs, agentReadyMs }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs scripts/build-kube-harness.sh (a no-op when cached) and returns the binary's path. */
export async function buildHarness(root: string, log: (line: string) => void): Promise<string> {
  const script = join(root, 'scripts', 'build-kube-harness.sh');
  const child = spawn('bash', [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => {
    err.push(l);
    log(l);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const path = out.at(-1);
  if (code !== 0 || !path) {
    throw new Error(`could not build the kube-apiserver test harness: ${script} exited with ${code}\n${err.slice(-30).join('\n')}`);
  }
  return path;
}

function collect(child: ChildProcess, name: string, log: (line: string) => void): string[] {
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    lines.push(l);
    if (lines.length > 40) lines.shift();
    log(`${name}: ${l}`);
  });
  return lines;
}

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number, name: string, stderr: string[]): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(`${name} did not print its ready line within ${timeoutMs / 1000} s`), timeoutMs);
    const onExit = (code: number | null, signal: string | null): void => fail(`${name} exited (${signal ?? `code ${code}`}) before it was ready`);
    const onError = (err: Error): void => fail(`${name} could not be started: ${err.message}`);
    function cleanup(): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    function fail(why: string): void {
      cleanup();
      reject(new Error(`${why}\n${stderr.join('\n')}`));
    }
    child.on('exit', onExit);
    child.on('error', onError);
    lines.on('line', (l) => {
      const m = re.exec(l);
      if (!m) return;
      cleanup();
      lines.removeAllListeners('line');
      lines.on('line', () => undefined); // keep draining stdout
      resolve(m);
    });
  });
}

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
