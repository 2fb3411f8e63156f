import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import type { ContainerLog } from './container-log.js';
import type { Mount } from './volumes.js';

export interface ProcessSpec {
  /** `command ++ args`, already `$(VAR)`-expanded. */
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
}

export interface Exit {
  exitCode: number;
  /** Set when a signal ended the process (exitCode is then 128 + signal, as runc reports). */
  signal?: number;
}

export interface ContainerProcess {
  readonly containerID: string;
  readonly startedAt: Date;
  readonly exited: Promise<Exit>;
  /** Signals the whole process group; a no-op once exited. */
  kill(signal: NodeJS.Signals): void;
}

/** The container could not be started (containerd's StartError, exit code 128). */
export class StartError extends Error {
  readonly code = 'StartError';
}

// Runs in a private mount namespace: bind-mounts each volume at its mount path, then execs.
// Arguments: the staging folder, workingDir, the sources, "--", (target ro|rw) pairs in the same
// order, "--", argv. Every source is first bound under the staging folder (a tmpfs of this
// namespace alone), before any target is mounted: a volume mounted over a folder that holds the
// agent's state (`/tmp`) then cannot hide the sources mounted after it.
const MOUNT_SCRIPT = `set -e
stage=$1; wd=$2; shift 2
mount -t tmpfs -o mode=0700 kube-agent-mounts "$stage"
n=0
while [ "$1" != "--" ]; do
  n=$((n+1))
  if [ -d "$1" ] || [ ! -e "$1" ]; then mkdir -p "$1" "$stage/$n"; else : > "$stage/$n"; fi
  mount --bind "$1" "$stage/$n"
  shift
done
shift
n=0
while [ "$1" != "--" ]; do
  n=$((n+1))
  if [ -d "$stage/$n" ]; then mkdir -p "$1"; else mkdir -p "$(dirname "$1")"; [ -e "$1" ] || : > "$1"; fi
  mount --bind "$stage/$n" "$1"
  if [ "$2" = ro ]; then mount -o remount,bind,ro "$1"; fi
  shift 2
done
shift
umount --recursive --lazy "$stage"
if [ -n "$wd" ]; then cd "$wd"; fi
exec "$@"`;

/**
 * Where MOUNT_SCRIPT stages the sources: a folder at the root, so that no volume a pod mounts
 * sensibly hides it (made once on the host; its tmpfs exists in each container's namespace only).
 */
const MOUNT_STAGE = '/.kube-agent-mounts';

/**
 * Starts a container attempt as a local process group with the container's environment (not the
 * agent's), stdout/stderr into its CRI log. Volume mounts (and the termination message file,
 * mounted into every container when the agent can mount) need root: the process then runs in a
 * private mount namespace (`unshare -m`) where each volume is bind-mounted at its path (missing
 * mount points, such as `/dev/termination-log`, are created on the host file system). Throws
 * StartError when the command cannot be started or its working directory does not exist.
 */
export function startContainerProcess(spec: ProcessSpec, log: ContainerLog): ContainerProcess {
  const [cmd, ...args] = spec.argv;
  if (!cmd) throw new StartError('no command: the local node agent has no image entrypoint, so the container must set `command`');
  checkExecutable(cmd, spec.env.PATH ?? '', spec.mounts);
  let file = cmd;
  let argv = args;
  let cwd = spec.workingDir;
  if (cwd && !isDirectory(hostPathOf(cwd, spec.mounts))) {
    throw new StartError(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`);
  }
  if (spec.mounts.length > 0) {
    if (!canMount()) throw new StartError('volume mounts need the node agent to run as root (it uses `unshare --mount`)');
    file = 'unshare';
    const sources = spec.mounts.map((m) => m.hostPath);
    const targets = spec.mounts.flatMap((m) => [m.containerPath, m.readOnly ? 'ro' : 'rw']);
    mkdirSync(MOUNT_STAGE, { recursive: true, mode: 0o700 });
    argv = ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'mounts', MOUNT_STAGE, spec.workingDir ?? '', ...sources, '--', ...targets, '--', cmd, ...args];
    cwd = undefined;
  }

  const child = spawn(file, argv, { env: spec.env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const startedAt = new Date();
  child.stdout.on('data', (d: Buffer) => log.write('stdout', d));
  child.stderr.on('data', (d: Buffer) => log.write('stderr', d));
  let done = false;
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', (err) => {
      done = true;
      reject(new StartError(`start ${cmd}: ${err.message}`, { cause: err }));
    });
    // 'close' (not 'exit'): all output has been read by then.
    child.once('close', (code, signal) => {
      done = true;
      if (signal) {
        const n = osConstants.signals[signal] ?? 9;
        resolve({ exitCode: 128 + n, signal: n });
      } else resolve({ exitCode: code ?? 0 });
    });
  });
  return {
    containerID: `kontroler-local://${randomBytes(32).toString('hex')}`,
    startedAt,
    exited,
    kill(signal) {
      if (done || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    },
  };
}

/** Whether this agent can bind-mount volumes into a container (it runs as root). */
export function canMount(): boolean {
  return process.getuid?.() === 0;
}

/** Fails like a runtime would when the command does not exist (looking through mounts). */
function checkExecutable(cmd: string, path: string, mounts: Mount[]): void {
  const candidates = cmd.includes('/') ? [cmd] : path.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    const onHost = hostPathOf(c, mounts);
    try {
      accessSync(onHost, constants.X_OK);
      if (!isDirectory(onHost)) return;
    } catch {
      // next candidate
    }
  }
  throw new StartError(`exec: "${cmd}": executable file not found in $PATH or not executable`);
}

function hostPathOf(p: string, mounts: Mount[]): string {
  for (const m of [...mounts].reverse()) {
    const rel = relative(m.containerPath, p);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return join(m.hostPath, rel);
  }
  return p;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
