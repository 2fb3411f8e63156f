// Starting an attempt: the exclusive mkdir that makes it ours, then its supervisor, forked by the
// spawner or (without one) spawned by us; a start that cannot happen is recorded as failed.
import type { ChildProcess } from 'node:child_process';
import { chown, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KontrolerError, messageOf } from '@kontroler/core';
import type { AttemptKey, AttemptSpec } from '@kontroler/engine';
import { claimFailed, isErrno } from './attempt-files.js';
import { attemptEnv, invocation } from './environment.js';
import { outputsDir, writeDeclared } from './outputs.js';
import { FILES, describeKey, workspaceDir } from './paths.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './private-modes.js';
import { signalGroup } from './proc.js';
import { MAX_REMEMBERED, keyOf, type EarlyWatch, type RuntimeState } from './runtime-state.js';
import { SpawnerLost, type Forked, type SpawnLaunch } from './spawner.js';
import { spawnSupervisor, type SupervisorLaunch } from './supervisor.js';
import { asTaskUser, ensureSearchable, taskUserEnv } from './task-user.js';
import { adoptAttempt, finish, track, watchEarly } from './watch.js';

export async function startAttempt(rt: RuntimeState, spec: AttemptSpec, dir: string): Promise<void> {
  if (rt.tracked.has(dir)) return;
  const workspace = spec.workspace === true ? workspaceDir(rt.stateDir, spec.runId) : undefined;
  const outputs = outputsDir(dir);
  const vars = attemptEnv(spec, workspace, outputs);
  const inv = invocation(spec, vars);
  if (!(await createAttemptDir(rt, dir))) {
    rt.log(`local runtime: attempt ${describeKey(spec)} exists already: adopting it instead of starting it again`);
    await adoptAttempt(rt, spec, dir, 0);
    return;
  }
  const now = rt.clock();
  if (spec.deadlineAt !== undefined && spec.deadlineAt <= now) {
    // Already too late: record it without running anything.
    await claimFailed(dir, 'DeadlineExceeded');
    await adoptAttempt(rt, spec, dir, 0);
    return;
  }
  const cwd = workspace ?? join(dir, FILES.work);
  // Watch first: a short command may write its exit file before we know its pid.
  const early = watchEarly(rt, dir);
  try {
    await Promise.all([mkdir(cwd, { recursive: true, mode: PRIVATE_DIR }), mkdir(outputs, PRIVATE_DIR), writeDeclared(dir, spec.outputs)]);
    if (rt.taskUser) await Promise.all([handOver(rt, cwd, workspace !== undefined), chown(outputs, rt.taskUser.uid, rt.taskUser.gid)]);
  } catch (e) {
    early.watcher?.close();
    return failStart(rt, spec, dir, `StartError: cannot create the working and outputs folders in ${dir}: ${messageOf(e)}`, e);
  }
  const fields = { key: keyOf(spec), dir, declared: spec.outputs ?? [], startTime: undefined, startedAt: now, deadlineAt: spec.deadlineAt, own: true, reaped: undefined };
  const launch = {
    dir,
    startedAt: now,
    deadlineAt: spec.deadlineAt,
    banner: inv.banner,
    argv: rt.taskUser ? asTaskUser(rt.taskUser, inv.argv) : inv.argv,
    cwd,
    env: { ...rt.inheritedEnv, ...(rt.taskUser ? taskUserEnv(rt.taskUser) : {}), ...vars },
  };
  const request = {
    ...launch,
    logPath: join(dir, FILES.log),
    pidPath: join(dir, FILES.pid),
    meta: `${now} ${spec.deadlineAt ?? '-'}`,
  };
  let forked: Forked | undefined;
  try {
    forked = await rt.spawner?.spawn(request);
  } catch (e) {
    if (!(e instanceof SpawnerLost)) throw e;
    if (e.maybeSpawned) return startAgain(rt, spec, dir, early, launch, request);
    rt.log(`local runtime: ${e.message}: spawning ${describeKey(spec)} directly`);
  }
  if (forked !== undefined) {
    // The supervisor's shell creates the log (appending); our tail opens it when it appears.
    const t = track(rt, { ...fields, pid: forked.pid, reaped: forked.reaped, child: undefined }, 0, undefined, early);
    rt.emit({ type: 'started', key: t.key, handle: String(forked.pid), at: now });
    return;
  }
  // No spawner: fork the supervisor ourselves, its stdout and stderr the log we read through.
  let logFile: FileHandle;
  try {
    logFile = await open(join(dir, FILES.log), 'wx+', PRIVATE_FILE);
  } catch (e) {
    early.watcher?.close();
    return failStart(rt, spec, dir, `StartError: cannot create the log: ${messageOf(e)}`, e);
  }
  let child: ChildProcess;
  try {
    child = spawnSupervisor({ ...launch, logFd: logFile.fd });
  } catch (e) {
    early.watcher?.close();
    await logFile.close();
    return failStart(rt, spec, dir, `StartError: ${messageOf(e)}`, e);
  }
  const childPid = child.pid;
  if (childPid === undefined) {
    early.watcher?.close();
    const err = await new Promise<Error>((res) => child.once('error', res));
    await logFile.close();
    return failStart(rt, spec, dir, `StartError: cannot run /bin/sh: ${err.message}`, err);
  }
  child.on('error', (e) => rt.log(`local runtime: attempt ${describeKey(spec)}: ${e.message}`));
  const t = track(rt, { ...fields, pid: childPid, child }, 0, logFile, early);
  child.once('exit', (status) => {
    // Nothing of an ended attempt may outlive it (as in a pod): kill what is left of its group.
    signalGroup(childPid, 'SIGKILL');
    finish(rt, t, status);
  });
  rt.emit({ type: 'started', key: t.key, handle: String(childPid), at: now });
}

/**
 * The spawner died with our request unanswered: a supervisor may be starting, or not. Ask again;
 * of two supervisors the first to record itself runs and the other one quits (the exclusive
 * create of `pid`), so we then watch whichever recorded itself, as an adopter does.
 */
async function startAgain(
  rt: RuntimeState,
  spec: AttemptSpec,
  dir: string,
  early: EarlyWatch,
  launch: Omit<SupervisorLaunch, 'logFd'>,
  request: SpawnLaunch,
): Promise<void> {
  rt.log(`local runtime: the spawner died while starting ${describeKey(spec)}: starting it again (it still runs once)`);
  early.watcher?.close();
  const again = await rt.spawner?.spawn(request).catch(() => undefined);
  if (again === undefined) await spawnDetached(rt, spec, launch);
  await adoptAttempt(rt, spec, dir, 0);
}

/** A supervisor we do not watch as our child (an adopter watches it): after a spawner failure. */
async function spawnDetached(rt: RuntimeState, spec: AttemptSpec, launch: Omit<SupervisorLaunch, 'logFd'>): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(join(launch.dir, FILES.log), 'a', PRIVATE_FILE);
    const child = spawnSupervisor({ ...launch, logFd: fh.fd });
    child.on('error', (e) => rt.log(`local runtime: attempt ${describeKey(spec)}: ${e.message}`));
    child.unref();
  } catch (e) {
    rt.log(`local runtime: cannot start ${describeKey(spec)} again: ${messageOf(e)}`);
  } finally {
    await fh?.close();
  }
}

/**
 * Gives the task user its working folder (it owns it; the attempt folder around it stays ours).
 * A run's workspace must also be reachable by its absolute path (KONTROLER_WORKSPACE).
 */
async function handOver(rt: RuntimeState, cwd: string, isWorkspace: boolean): Promise<void> {
  const user = rt.taskUser;
  if (!user) return;
  await chown(cwd, user.uid, user.gid);
  if (isWorkspace) await (rt.searchable ??= ensureSearchable(dirname(cwd), rt.log));
}

/** The exclusive mkdir that makes an attempt ours to start; false when it exists already. */
async function createAttemptDir(rt: RuntimeState, dir: string): Promise<boolean> {
  const parent = dirname(dir);
  // A task folder made earlier is usually still there: then one mkdir is all it takes.
  if (!rt.parents.has(parent)) await createParent(rt, parent);
  for (let tries = 0; ; tries++) {
    try {
      await mkdir(dir, PRIVATE_DIR);
      return true;
    } catch (e) {
      if (isErrno(e, 'EEXIST')) return false;
      if (!isErrno(e, 'ENOENT') || tries > 0) {
        throw new KontrolerError(
          'UNAVAILABLE',
          `cannot create the attempt folder ${dir}: ${messageOf(e)}; check that the state folder ${rt.stateDir} is writable`,
          { cause: e, retryable: true },
        );
      }
    }
    await createParent(rt, parent); // released meanwhile
  }
}

async function createParent(rt: RuntimeState, parent: string): Promise<void> {
  try {
    await mkdir(parent, { recursive: true, mode: PRIVATE_DIR });
  } catch (e) {
    throw new KontrolerError(
      'UNAVAILABLE',
      `cannot create ${parent}: ${messageOf(e)}; check that the state folder ${rt.stateDir} is writable`,
      { cause: e, retryable: true },
    );
  }
  if (rt.parents.size >= MAX_REMEMBERED) rt.parents.clear();
  rt.parents.add(parent);
}

/** Records why the attempt never ran (so a later start or adopt reports it) and throws. */
async function failStart(rt: RuntimeState, key: AttemptKey, dir: string, reason: string, cause: unknown): Promise<never> {
  try {
    await claimFailed(dir, reason);
  } catch (e) {
    rt.log(`local runtime: cannot record the failed start of ${describeKey(key)}: ${messageOf(e)}`);
  }
  throw new KontrolerError(
    'UNAVAILABLE',
    `the local runtime could not start attempt ${describeKey(key)} (${reason}); the attempt is recorded as failed: check the state folder ${rt.stateDir} and that /bin/sh works`,
    { cause },
  );
}