// What the container runtime's parts share (launch.ts, watch.ts, kill.ts; the front is
// docker-container-runtime.ts): settings, the attempts it watches, and the plumbing (one operation
// per attempt at a time, background work, events, the poll ticker).
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { KontrolerError, messageOf } from '@kontroler/core';
import type { AttemptKey } from '@kontroler/engine';
import { RuntimePlumbing, attemptDir, describeKey } from '@kontroler/runtime-local';
import type { ContainerEngine } from './container-engine.js';
import { statusOf } from './engine-error.js';
import { containerName, scopeOf } from './naming.js';
import type { DockerContainerRuntimeOptions } from './options.js';
import type { PullPolicy } from './pull-policy.js';

/** A container this runtime watches until it ends. */
export interface Tracked {
  readonly key: AttemptKey;
  readonly name: string;
  readonly dir: string;
  readonly startedAt: number;
  readonly deadlineAt: number | undefined;
  readonly declared: readonly string[];
  /** Log bytes delivered as events (or already held by the store: adopt's logOffset). */
  delivered: number;
  /** The current log follow; undefined when none runs (the ticker starts another). */
  follow: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  killRequested: boolean;
  /** A kill is in progress: SIGKILL at this time. */
  killAt: number | undefined;
  checking: boolean;
  ending: boolean;
}

/** Bound of the ended set (it only saves engine calls). */
export const MAX_REMEMBERED = 10_000;

export function keyOf(k: AttemptKey): AttemptKey {
  // Never pass the spec itself along: it carries parameter values.
  return { runId: k.runId, task: k.task, attempt: k.attempt };
}

export function keyString(k: AttemptKey): string {
  return `${k.runId}\u0000${k.task}\u0000${k.attempt}`;
}

export class RuntimeState extends RuntimePlumbing {
  readonly engine: ContainerEngine;
  readonly stateDir: string;
  readonly host: string;
  /** scopeOf(host): part of every container name. */
  readonly scope: string;
  readonly controllerId: string | undefined;
  readonly clock: () => number;
  readonly killGraceMs: number;
  readonly pullPolicy: PullPolicy;
  readonly pollMs: number;
  readonly inspectEvery: number;
  readonly startGraceMs: number;
  /** By keyString. */
  readonly tracked = new Map<string, Tracked>();
  /** Containers asked to stop that nobody watches: only the SIGKILL escalation is ours (name → when). */
  readonly strays = new Map<string, number>();
  /** Attempts whose `exited` this runtime emitted (keyString). */
  readonly ended = new Set<string>();
  private ticker: NodeJS.Timeout | undefined;
  ticks = 0;

  constructor(
    opts: DockerContainerRuntimeOptions,
    private readonly tick: () => void,
  ) {
    super('container runtime', opts.log ?? (() => {}));
    this.engine = opts.engine;
    this.stateDir = resolve(opts.stateDir);
    this.host = opts.host ?? `${hostname()}:${this.stateDir}`;
    this.scope = scopeOf(this.host);
    this.controllerId = opts.controllerId;
    this.clock = opts.clock ?? Date.now;
    this.killGraceMs = opts.killGraceMs ?? 5000;
    this.pullPolicy = opts.pullPolicy ?? 'IfNotPresent';
    this.pollMs = opts.pollMs ?? 250;
    this.inspectEvery = opts.inspectEvery ?? 8;
    this.startGraceMs = opts.startGraceMs ?? 3000;
  }

  dirOf(key: AttemptKey): string {
    return attemptDir(this.stateDir, key);
  }

  nameOf(key: AttemptKey): string {
    return containerName(this.scope, key);
  }

  /** An engine failure as the KontrolerError callers see: UNAVAILABLE (retryable) when it was not reached. */
  engineFailure(what: string, e: unknown): KontrolerError {
    const reached = statusOf(e) !== 0;
    return new KontrolerError(
      reached ? 'INTERNAL' : 'UNAVAILABLE',
      `container runtime: ${what}: ${messageOf(e)}${reached ? '' : '; start Docker or `podman system service`, or point DOCKER_HOST at it'}`,
      { cause: e, retryable: !reached },
    );
  }

  stillRunning(key: AttemptKey): KontrolerError {
    return new KontrolerError('INVALID_STATE', `attempt ${describeKey(key)} is still running in its container: kill it and wait for its exited event before releasing it`);
  }

  remember(key: AttemptKey): void {
    this.ended.add(keyString(key));
    if (this.ended.size > MAX_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
  }

  ensureTicker(): void {
    if (this.ticker === undefined && !this.closed) this.ticker = setInterval(this.tick, this.pollMs);
  }

  stopTickerIfIdle(): void {
    if (this.tracked.size === 0 && this.strays.size === 0) this.stopTicker();
  }

  stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  assertOpen(): void {
    if (this.closed) throw new KontrolerError('INVALID_STATE', 'this DockerContainerRuntime is closed: create a new one on the same state folder to adopt its containers');
  }
}
