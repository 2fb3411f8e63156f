// Starting an attempt: its folders, its image (pull policy), then create-then-start of its
// container. The container's name is the claim: when it exists the attempt is adopted instead, so
// it never runs twice. A start that cannot happen is recorded as failed and reported as exited.
import { chmod, mkdir } from 'node:fs/promises';
import type { AttemptSpec } from '@kontroler/engine';
import { describeKey, outputsDir, workspaceDir } from '@kontroler/runtime-local';
import { containerRequest } from './container-spec.js';
import { statusOf } from './engine-error.js';
import { ensureImage, policyFor } from './pull-policy.js';
import { claimRecord, readRecord } from './records.js';
import { keyOf, keyString, type RuntimeState } from './runtime-state.js';
import { adoptAttempt, track } from './watch.js';

/** Folders the container writes to: its user may be anyone, so they are open (inside private parents). */
const SHARED_DIR = 0o777;

async function sharedDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, SHARED_DIR);
}

export async function startAttempt(rt: RuntimeState, spec: AttemptSpec): Promise<void> {
  const key = keyOf(spec);
  if (rt.tracked.has(keyString(key))) return;
  const dir = rt.dirOf(key);
  const name = rt.nameOf(key);
  const workspace = spec.workspace === true ? workspaceDir(rt.stateDir, spec.runId) : undefined;
  const outputs = outputsDir(dir);
  // Validates the spec before anything is made.
  const req = containerRequest(spec, { outputs, workspace }, { host: rt.host, controller: rt.controllerId });
  const adopt = async (): Promise<void> => {
    await adoptAttempt(rt, key, 0);
  };
  const existing = await rt.engine.inspect(name).catch((e: unknown) => {
    throw rt.engineFailure(`looking for the container of ${describeKey(key)}`, e);
  });
  if (existing !== undefined || (await readRecord(dir, 'failed')) !== undefined) {
    rt.log(`container runtime: attempt ${describeKey(key)} exists already: adopting it instead of starting it again`);
    return adopt();
  }
  const fail = async (reason: string): Promise<void> => {
    await claimRecord(dir, 'failed', { at: rt.clock(), reason });
    return adopt();
  };
  if (spec.deadlineAt !== undefined && spec.deadlineAt <= rt.clock()) return fail('DeadlineExceeded');
  await Promise.all([sharedDir(outputs), ...(workspace !== undefined ? [sharedDir(workspace)] : [])]);
  const pulled = ensureImage(rt.engine, spec.image, policyFor(spec.podTemplate, rt.pullPolicy)).catch((e: unknown) => {
    throw rt.engineFailure(`looking for image ${spec.image}`, e);
  });
  // A slow registry must not hold the attempt past its deadline (the pull goes on in the engine).
  const pullProblem = await beforeDeadline(pulled, spec.deadlineAt, rt.clock);
  if (pullProblem !== undefined) return fail(pullProblem);
  let created: 'created' | 'exists';
  try {
    created = await rt.engine.create(req);
  } catch (e) {
    if (statusOf(e) === 0) throw rt.engineFailure(`creating the container of ${describeKey(key)}`, e);
    return fail(`CreateContainerError: ${(e as Error).message}`);
  }
  if (created === 'exists') return adopt();
  const startedAt = rt.clock();
  try {
    await rt.engine.start(name);
  } catch (e) {
    if (statusOf(e) === 0) throw rt.engineFailure(`starting the container of ${describeKey(key)}`, e);
    // e.g. the command is not in the image: the engine says so, and nothing ran.
    return fail(`StartError: ${(e as Error).message}`);
  }
  track(rt, { key, name, dir, startedAt, deadlineAt: spec.deadlineAt, declared: spec.outputs ?? [] }, 0);
  rt.emit({ type: 'started', key, handle: name, at: startedAt });
}

/** `p`, or `DeadlineExceeded` when `deadlineAt` comes first. */
async function beforeDeadline(p: Promise<string | undefined>, deadlineAt: number | undefined, clock: () => number): Promise<string | undefined> {
  if (deadlineAt === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('DeadlineExceeded'), Math.max(0, deadlineAt - clock()));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
