// The supervisor: a tiny detached /bin/sh that runs one attempt and outlives the controller. It is
// the leader of its own process group (so a kill reaches the whole tree), records itself in `pid`,
// runs the command with its output going to `log`, and records the exit status in `exit`.
// A shell costs about a millisecond per attempt; a Node shim would cost ~40 ms. Usually the
// spawner (spawner.ts) forks it; `spawnSupervisor` is the direct way, when there is no spawner.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Env } from './environment.js';

// $1 attempt folder, $2 "<startedAt> <deadlineAt|->", $3 log banner, $4 its own start time or
// "" (it then reads it itself), then the command's argv. stdout and stderr are the log file.
//  - `trap : TERM INT HUP` keeps the supervisor alive while a kill reaches the group, so it can
//    record the command's status; a trapped (not ignored) signal is reset to default for the
//    command it runs, and POSIX defers the trap until the foreground command has ended.
//  - The start time is field 22 of /proc/$$/stat (`${p##*) }` skips pid and comm); without /proc
//    it is "-". Builtins only: no fork before the command runs. The spawner's shell passes it in
//    $4: dash reads a file one byte per read(2) (~300 calls, ~0.1 ms of CPU); bash reads it at once.
//  - `set -C` makes `>pid` an exclusive create. If an adopter has already written `failed ...`
//    there (it gave up waiting for this supervisor), the attempt must not run: the supervisor
//    kills itself, which its parent reads as "look at the files".
//  - `umask 077`: its files (pid, exit) and whatever the command creates are private to this user,
//    whatever umask the controller was started with (a builtin: no fork).
//  - The exit status is written with one `echo` (a single write): readers accept a complete line.
//    The supervisor also exits with it, so its parent needs no file read in the common case.
export const SUPERVISOR_SCRIPT = [
  'd=$1 m=$2 b=$3 t=$4; shift 4',
  'umask 077',
  'trap : TERM INT HUP',
  'if [ -z "$t" ]; then',
  '  t=-',
  '  if read -r p </proc/$$/stat 2>/dev/null; then f() { t=${20}; }; set -f; f ${p##*) }; set +f; fi',
  'fi',
  'set -C',
  'echo "$m $$ $t" 2>/dev/null >"$d/pid" || kill -KILL $$',
  'set +C',
  "printf '%s\\n' \"$b\"",
  '"$@" </dev/null',
  'c=$?; echo $c >"$d/exit"; exit $c',
].join('\n');

export interface SupervisorLaunch {
  readonly dir: string;
  readonly startedAt: number;
  readonly deadlineAt: number | undefined;
  readonly banner: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Env>;
  /** Open file descriptor of the log: the supervisor's stdout and stderr. */
  readonly logFd: number;
}

/**
 * Spawns the supervisor in a new session (process group = its pid), with no pipes to us, so it
 * keeps running when we die. Throws synchronously only for invalid arguments; a failed exec is
 * reported through the child's `error` event.
 */
export function spawnSupervisor(l: SupervisorLaunch): ChildProcess {
  const meta = `${l.startedAt} ${l.deadlineAt ?? '-'}`;
  return spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, 'kontroler-attempt', l.dir, meta, l.banner, '', ...l.argv], {
    cwd: l.cwd,
    env: l.env,
    detached: true,
    stdio: ['ignore', l.logFd, l.logFd],
  });
}
