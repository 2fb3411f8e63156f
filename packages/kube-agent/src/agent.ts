import { mkdir } from 'node:fs/promises';
import { CoordinationV1Api, CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { startBinder } from './binder.js';
import { startLogServer } from './log-server.js';
import { registerNode, startNodeLease } from './node-registration.js';
import { startPodRunner } from './pod-runner.js';
import { messageOf } from './kube-errors.js';

export interface AgentOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** Per-pod and per-claim directories live here. */
  stateDir: string;
  /** PEM serving certificate/key for `/containerLogs` (the harness issues one for 127.0.0.1). */
  tlsCert: Buffer;
  tlsKey: Buffer;
  /** When set, only clients with a certificate from this CA (the apiserver) may read logs. */
  clientCA?: Buffer;
  /** Port for the log server; 0 (default) picks a free one. */
  port?: number;
  /** Bind pods nobody scheduled (there is no kube-scheduler). Default true. */
  bindPods?: boolean;
  /** Errors the agent survives (a failed status write, a dropped watch); default: stderr. */
  onError?(err: unknown): void;
}

export interface RunningAgent {
  readonly nodeName: string;
  readonly port: number;
  /** Stops watching, kills all pod processes, closes the log server. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILLs all container processes synchronously: for an `exit` hook, so none outlive the agent. */
  killNow(): void;
}

/**
 * Starts the local node agent against a (real) apiserver: serves container logs, registers the
 * Node, keeps its Lease, binds unscheduled pods to it and runs the pods bound to it.
 * Throws when the log server cannot listen or the Node cannot be registered.
 */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const onError = opts.onError ?? ((err: unknown) => process.stderr.write(`kube-agent: ${messageOf(err)}\n`));
  const kc = opts.kubeConfig;
  const core = kc.makeApiClient(CoreV1Api);
  await mkdir(opts.stateDir, { recursive: true });

  let runner: ReturnType<typeof startPodRunner> | undefined;
  const logs = await startLogServer({
    cert: opts.tlsCert,
    key: opts.tlsKey,
    ...(opts.clientCA ? { clientCA: opts.clientCA } : {}),
    port: opts.port ?? 0,
    lookup: (ns, pod, container, previous) =>
      runner ? runner.lookupLog(ns, pod, container, previous) : { status: 404, message: 'the node agent is starting' },
  });
  const stops: Array<() => Promise<void> | void> = [() => logs.close()];
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const version = await kc.makeApiClient(VersionApi).getCode();
    const node = await registerNode(core, { name: opts.nodeName, address: '127.0.0.1', port: logs.port, kubeletVersion: version.gitVersion });
    stops.push(startNodeLease(kc.makeApiClient(CoordinationV1Api), node, onError));
    runner = startPodRunner(kc, core, opts.nodeName, { core, hostIP: '127.0.0.1', stateDir: opts.stateDir, onError });
    const r = runner;
    stops.push(() => r.stop());
    if (opts.bindPods ?? true) {
      const binder = startBinder(kc, core, opts.nodeName, onError, node.metadata?.labels ?? {});
      stops.push(() => binder.stop());
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodeName: opts.nodeName, port: logs.port, stop, killNow: () => runner?.killNow() };
}
