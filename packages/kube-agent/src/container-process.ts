import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
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
// Arguments: workingDir, then (source target ro|rw) triples, then "--", then argv.
const MOUNT_SCRIPT = `set -e
wd=$1; shift
while [ "$1" != "--" ]; do
  if [ -d "$1" ] || [ ! -e "$1" ]; then mkdir -p "$1" "$2"; else mkdir -p "$(dirname "$2")"; [ -e "$2" ] || : > "$2"; fi
  mount --bind "$1" "$2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2"; fi
  shift 3
done
shift
if [ -n "$wd" ]; then cd "$wd"; fi
exec "$@"`;

/**
 * Starts a container attempt as a local process group with the container's environment (not the
 * agent's), stdout/stderr into its CRI log. Volume mounts need root: the process then runs in a
 * private mount namespace (`unshare -m`) where each volume is bind-mounted at its path (missing
 * mount-point directories are created on the host file system). Throws StartError when the
 * command cannot be started.
 */
export function startContainerProcess(spec: ProcessSpec, log: ContainerLog): ContainerProcess {
  const [cmd, ...args] = spec.argv;
  if (!cmd) throw new StartError('no command: the local node agent has no image entrypoint, so the container must set `command`');
  checkExecutable(cmd, spec.env.PATH ?? '', spec.mounts);
  let file = cmd;
  let argv = args;
  let cwd = spec.workingDir;
  if (spec.mounts.length > 0) {
    if (process.getuid?.() !== 0) throw new StartError('volume mounts need the node agent to run as root (it uses `unshare --mount`)');
    file = 'unshare';
    const triples = spec.mounts.flatMap((m) => [m.hostPath, m.containerPath, m.readOnly ? 'ro' : 'rw']);
    argv = ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'mounts', spec.workingDir ?? '', ...triples, '--', cmd, ...args];
    cwd = undefined;
  } else if (cwd && !isDirectory(cwd)) {
    throw new StartError(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`);
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
