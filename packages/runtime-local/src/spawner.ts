// The spawner: long-lived bash co-processes that fork the attempts' supervisors, so this (big)
// process never forks itself. Spawning from Node costs ~6 ms of blocked event loop per attempt
// (it forks its own ~130 MB address space); forking a ~3 MB shell costs a fraction of that, off
// our main thread. See docs/adr/0006-local-runtime-spawner.md.
//
// Protocol, over pipes only (nothing touches disk, so parameter values never do either):
//   request  "<id> <n>\n" then n bytes of shell code, whose last line is "#<id>"
//   reply    "<id> <pid>" (the supervisor's pid, = its process group), "<id> F" (the fork failed)
//            or "<id> X" (bad framing: the spawner exits); nothing was forked for F and X
// The shell code (built by `requestCode`) runs in a forked subshell: enter the working folder,
// point stdout/stderr at the log, set the environment, exec the supervisor. Until then its output
// goes nowhere (a failure is recorded in the attempt's pid file instead), so no message about a
// request, whatever its content, can reach our logs. Values reach the supervisor's environment
// through `export` (or `env -i` for names bash cannot export), single-quoted, never echoed.
//
// Why bash: `set -m` (job control) makes each background job the leader of its own process group,
// so a kill reaches the attempt's whole tree; dash cannot enable job control without a terminal,
// and without job control a background job starts with SIGINT and SIGQUIT ignored, which the
// command would inherit. `disown -a` keeps bash's job table empty (it grows, and forks slow down,
// otherwise); bash still reaps every child as soon as it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import type { Env } from './environment.js';
import { SUPERVISOR_SCRIPT } from './supervisor.js';

const SPAWNER_SCRIPT = [
  // read -N (a byte count, in one read) needs bash 4.1 (4.2 asked, to be safe); older ones
  // (macOS /bin/bash is 3.2) are not used.
  '(( BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2) )) || { echo "bash $BASH_VERSION is too old" >&2; exit 1; }',
  'set -m',
  // Logs it opens for supervisors and everything they write are private to this user.
  'umask 077',
  'shopt -s execfail',
  'case $- in *m*) ;; *) echo "job control is not available" >&2; exit 1;; esac',
  'echo ready',
  'while IFS=" " read -r i n && IFS= read -r -N "$n" r; do',
  '  case $r in *"#$i") ;; *) echo "$i X"; exit 1;; esac',
  '  l=$!',
  '  ( eval "$r" ) </dev/null >/dev/null 2>&1 &',
  '  if [ "$!" = "$l" ]; then echo "$i F"; else echo "$i $!"; fi',
  '  disown -a',
  'done',
].join('\n');

/** Where bash may live; the first executable one is used. */
const BASH_PATHS = ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash'];
const ENV_PATHS = ['/usr/bin/env', '/bin/env'];
const RM_PATHS = ['/bin/rm', '/usr/bin/rm'];

interface Tools {
  readonly bash: string | undefined;
  readonly env: string | undefined;
  readonly rm: string | undefined;
}

/** How long the spawner may take to say it is ready before we give up on it. */
const READY_TIMEOUT_MS = 5000;
/** A spawner that answers nothing for this long while requests wait is killed (and replaced). */
const STALL_MS = 60_000;
/** After the spawner could not start, attempts are spawned directly for this long before trying again. */
const RETRY_AFTER_MS = 30_000;

/** Plain shell identifiers that bash lets us export without side effects. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Read-only or special in bash (assigning them fails or has effects): passed through `env -i`. */
const BASH_SPECIAL = new Set([
  '_', 'DIRSTACK', 'EPOCHREALTIME', 'EPOCHSECONDS', 'EUID', 'FUNCNAME', 'GROUPS', 'HISTCMD', 'LINENO', 'MAPFILE',
  'OPTARG', 'OPTIND', 'PIPESTATUS', 'POSIXLY_CORRECT', 'PPID', 'RANDOM', 'REPLY', 'SECONDS', 'SHELLOPTS', 'SRANDOM', 'UID',
]);
/** Names bash sets itself: never in the spawner's own environment, unset in the subshell. */
const BASH_OWN = ['PWD', 'OLDPWD', 'SHLVL'];
/** Names that would change how the spawner itself works (TMOUT times its `read` out, CDPATH its `cd`): sent with each request instead. */
const AFFECTS_SPAWNER = ['TMOUT', 'CDPATH'];

export function bashCanExport(name: string): boolean {
  return PLAIN_NAME.test(name) && !BASH_SPECIAL.has(name) && !name.startsWith('BASH') && !name.startsWith('COMP') && !name.startsWith('READLINE');
}

/** Locale variables: bash must count bytes (`read -N`), so they never reach the spawner itself. */
function isLocale(name: string): boolean {
  return name === 'LANG' || name === 'LANGUAGE' || name.startsWith('LC_');
}

/** The part of the inherited environment the spawner can hold itself (the rest goes with each request). */
export function spawnerEnv(inherited: Readonly<Env>): Env {
  const env: Env = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (bashCanExport(name) && !isLocale(name) && !BASH_OWN.includes(name) && !AFFECTS_SPAWNER.includes(name)) env[name] = value;
  }
  return env;
}

/** A single-quoted shell word: exactly `s`, whatever it contains (NUL excepted, refused earlier). */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface SpawnLaunch {
  readonly dir: string;
  readonly cwd: string;
  readonly logPath: string;
  /** Where a start that failed inside the subshell is recorded (exclusive create, as claimFailed). */
  readonly pidPath: string;
  /** "<startedAt> <deadlineAt|->", the supervisor's $2. */
  readonly meta: string;
  readonly banner: string;
  readonly argv: readonly string[];
  /** The attempt's complete environment (inherited basics and its own variables). */
  readonly env: Readonly<Env>;
}

/**
 * The shell code one request runs in its forked subshell. `"$1"` is the supervisor script (a
 * positional parameter of the spawner: no exported name can shadow it). Only literals follow the
 * exports, so a parameter named like a shell variable changes nothing.
 */
export function requestCode(l: SpawnLaunch, base: Readonly<Env>, envPath: string | undefined): string | undefined {
  const failed = (why: string) => `{ set -C; echo ${shQuote(`failed StartError: ${why}`)} >${shQuote(l.pidPath)}; exit 1; }`;
  const sup = ['/bin/sh', '-c', '"$1"', 'kontroler-attempt', shQuote(l.dir), shQuote(l.meta), shQuote(l.banner), '"$2"', ...l.argv.map(shQuote)].join(' ');
  const lines = [
    `cd -P -- ${shQuote(l.cwd)} && exec >>${shQuote(l.logPath)} 2>&1 || ${failed('cannot enter the working folder or open the log')}`,
    // The supervisor's start time (it keeps this pid), for its pid record: "$2", as no exported
    // name can shadow a positional parameter; empty without /proc (the supervisor then tries).
    't=; read -r p </proc/$BASHPID/stat 2>/dev/null && { set -f; a=(${p##*) }); t=${a[19]}; set +f; }; set -- "$1" "$t"',
  ];
  // What differs from the spawner's own environment; anything bash cannot export means env -i.
  const extra: [string, string][] = [];
  let plain = true;
  for (const [name, value] of Object.entries(l.env)) {
    if (base[name] === value) continue;
    extra.push([name, value]);
    if (!bashCanExport(name)) plain = false;
  }
  const missing = Object.keys(base).filter((name) => !Object.hasOwn(l.env, name));
  if (plain) {
    lines.push(`unset ${[...BASH_OWN, ...missing].join(' ')}`);
    if (extra.length > 0) lines.push(`export ${extra.map(([n, v]) => `${n}=${shQuote(v)}`).join(' ')}`);
    lines.push(`exec ${sup}`);
  } else {
    if (envPath === undefined) return undefined;
    const all = Object.entries(l.env).map(([n, v]) => shQuote(`${n}=${v}`));
    lines.push(`exec ${envPath} -i -- ${all.join(' ')} ${sup}`);
  }
  lines.push(failed('cannot run /bin/sh (missing, or the arguments and environment are too large): see the log'));
  return lines.join('\n');
}

/** A supervisor the spawner forked. */
export interface Forked {
  readonly pid: number;
  /**
   * True while the shell that forked it lives: it reaps the supervisor the moment it ends, so
   * kill(pid, 0) says whether it runs. Once that shell is gone the supervisor's parent is init,
   * which may leave it a zombie (in a container whose pid 1 reaps nothing, for one).
   */
  readonly reaped: () => boolean;
}

/** The spawner went away with this request unanswered: its supervisor may or may not have been forked. */
export class SpawnerLost extends Error {
  constructor(
    message: string,
    /** False when nothing was forked for it: the spawner died before saying ready, or answered F or X. */
    readonly maybeSpawned: boolean,
  ) {
    super(message);
  }
}

interface Pending {
  readonly resolve: (pid: number) => void;
  readonly reject: (e: Error) => void;
}

/** One bash process; `Spawner` replaces it when it dies. */
class Shell {
  readonly proc: ChildProcess;
  ready = false;
  dead = false;
  private closing = false;
  readonly pending = new Map<number, Pending>();
  /** Resolves true once it said ready, false if it died (or hung) first. */
  readonly readyOrDead: Promise<boolean>;
  readonly exited: Promise<void>;
  private settle: (ok: boolean) => void = () => {};
  private readonly timer: NodeJS.Timeout;
  /** Armed while requests wait; every answer re-arms it. */
  private stall: NodeJS.Timeout | undefined;
  private out = '';
  private err = '';

  constructor(
    bash: string,
    env: Env,
    private readonly log: (msg: string) => void,
    private readonly onDeath: (s: Shell) => void,
  ) {
    // Its own session, so a terminal's ^C reaches neither it nor the supervisors it forks. When we
    // die its stdin closes, it reads EOF and exits; the supervisors keep running.
    this.proc = spawn(bash, ['--norc', '--noprofile', '-c', SPAWNER_SCRIPT, 'kontroler-spawner', SUPERVISOR_SCRIPT], {
      cwd: '/',
      env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.readyOrDead = new Promise((res) => (this.settle = res));
    this.exited = new Promise((res) => this.proc.once('exit', () => res()));
    this.timer = setTimeout(() => {
      this.log(`local runtime: the spawner did not start within ${READY_TIMEOUT_MS} ms`);
      this.proc.kill('SIGKILL');
      this.die();
    }, READY_TIMEOUT_MS);
    this.timer.unref();
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => this.onOut(chunk));
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => this.onErr(chunk));
    this.proc.stdin!.on('error', () => {}); // EPIPE once it died: 'exit' reports that
    this.proc.on('error', (e) => {
      this.log(`local runtime: cannot run the spawner ${bash}: ${e.message}`);
      this.die();
    });
    this.proc.once('exit', (code, signal) => {
      if (!this.closing) this.log(`local runtime: the spawner exited (${signal ?? `status ${code}`})`);
      // Its answers may still be in the pipe: the end of stdout settles the requests. Only the
      // spawner holds that pipe (what it forks writes to /dev/null), so the end comes at once.
      setTimeout(() => this.die(), 1000).unref();
    });
    this.proc.stdout!.once('close', () => this.die());
    this.updateRef();
  }

  send(id: number, code: string): Promise<number> {
    const body = `${code}\n#${id}`;
    return new Promise((resolve, reject) => {
      if (this.dead) {
        reject(new SpawnerLost('the spawner is gone', false));
        return;
      }
      this.pending.set(id, { resolve, reject });
      if (this.stall === undefined) this.armStall();
      this.updateRef();
      this.proc.stdin!.write(`${id} ${Buffer.byteLength(body)}\n${body}`);
    });
  }

  close(): void {
    this.closing = true;
    this.updateRef(); // so whoever awaits the close sees its end
    this.proc.stdin!.end();
  }

  die(): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.timer);
    clearTimeout(this.stall);
    this.settle(false);
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) p.reject(new SpawnerLost('the spawner exited before answering', this.ready));
    this.onDeath(this);
    this.updateRef();
  }

  private onOut(chunk: string): void {
    this.out += chunk;
    let nl: number;
    while ((nl = this.out.indexOf('\n')) !== -1) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      if (line === 'ready') {
        this.ready = true;
        clearTimeout(this.timer);
        this.settle(true);
        continue;
      }
      const space = line.indexOf(' ');
      const id = Number(line.slice(0, space));
      const p = this.pending.get(id);
      if (space === -1 || p === undefined) {
        this.log(`local runtime: unexpected line from the spawner: ${line.slice(0, 100)}`);
        continue;
      }
      this.pending.delete(id);
      clearTimeout(this.stall);
      this.stall = undefined;
      if (this.pending.size > 0) this.armStall();
      const pid = Number(line.slice(space + 1));
      // F: the fork failed; X: the request was garbled (the spawner exits). Nothing ran.
      if (Number.isSafeInteger(pid) && pid > 0) p.resolve(pid);
      else p.reject(new SpawnerLost(`the spawner refused a request (${line.slice(0, 100)})`, false));
    }
    this.updateRef();
  }

  private armStall(): void {
    this.stall = setTimeout(() => {
      this.log(`local runtime: the spawner answered nothing for ${STALL_MS / 1000} s: replacing it`);
      this.proc.kill('SIGKILL');
    }, STALL_MS);
    this.stall.unref();
  }

  private onErr(chunk: string): void {
    // bash's own complaints (a fork that failed): the subshells it forks write nowhere.
    this.err += chunk;
    let nl: number;
    while ((nl = this.err.indexOf('\n')) !== -1) {
      this.log(`local runtime: spawner: ${this.err.slice(0, Math.min(nl, 300))}`);
      this.err = this.err.slice(nl + 1);
    }
  }

  /** Keeps our event loop alive only while it starts, a request waits for its answer, or it is closing. */
  private updateRef(): void {
    const busy = !this.dead && (this.pending.size > 0 || !this.ready || this.closing);
    const { stdin, stdout, stderr } = this.proc;
    for (const s of [stdin, stdout, stderr]) {
      const sock = s as unknown as { ref?: () => void; unref?: () => void } | null;
      if (busy) sock?.ref?.();
      else sock?.unref?.();
    }
    // Closing: its pipes keep us waiting for its end, not the process handle, which Node closes
    // only after the exit event (still counted as active until then).
    if (busy && !this.closing) this.proc.ref();
    else this.proc.unref();
  }
}

export interface SpawnerOptions {
  readonly inheritedEnv: Readonly<Env>;
  readonly log: (msg: string) => void;
  /** The bash to run (4.2 or later); default: the first of /bin/bash, /usr/bin/bash, /usr/local/bin/bash. */
  readonly bash?: string;
  /** Most shells forking at once (default SHELLS). */
  readonly shells?: number;
}

/**
 * Most spawner shells by default. 1,000 tasks started at once on 2 cores (loaded machine): one
 * shell forked them in 17-24 s, two in 9-12 s, four in 6-9 s (docs/benchmarks.md). An idle
 * shell costs a few MB and no CPU; shells past the first start only when a burst needs them.
 */
export const SHELLS = 4;

/**
 * Forks supervisors through a bash co-process, started on first use and again after it dies.
 * `spawn` resolves with the supervisor, or undefined when the spawner is unavailable (no bash, it
 * would not start): the caller then spawns directly. It rejects with SpawnerLost when the
 * spawner died with the request unanswered.
 */
export class Spawner {
  /** The live shells; a burst of starts gets more of them (up to `maxShells`), each forking on its own. */
  private shells: Shell[] = [];
  private readonly maxShells: number;
  private nextId = 1;
  private paths: Promise<Tools> | undefined;
  private unavailableUntil = 0;
  private announced: 'spawner' | 'direct' | undefined;
  private closed = false;
  private readonly base: Env;

  constructor(private readonly opts: SpawnerOptions) {
    this.base = spawnerEnv(opts.inheritedEnv);
    this.maxShells = Math.max(1, opts.shells ?? SHELLS);
  }

  async spawn(l: SpawnLaunch): Promise<Forked | undefined> {
    if (this.closed || Date.now() < this.unavailableUntil) return undefined;
    const { bash, env } = await this.findPaths();
    if (bash === undefined) return this.unavailable('bash was not found');
    const code = requestCode(l, this.base, env);
    if (code === undefined) return undefined; // needs env -i, which is missing: spawn this one directly
    const shell = this.current(bash);
    const pid = shell.send(this.nextId++, code);
    if (!shell.ready && !(await shell.readyOrDead)) {
      await pid.catch(() => {});
      return this.unavailable('it exited or hung before it was ready');
    }
    const result = await pid;
    if (this.announced !== 'spawner') {
      this.announced = 'spawner';
      this.opts.log(`local runtime: starting attempts through a spawner shell (${bash}, pid ${shell.proc.pid})`);
    }
    return { pid: result, reaped: () => !shell.dead };
  }

  /**
   * `rm -rf` of these paths in the background (not waited for, not watched). False when the
   * spawner is unavailable or lost the request: the caller deletes them itself.
   */
  async removeAll(paths: readonly string[]): Promise<boolean> {
    if (this.closed || Date.now() < this.unavailableUntil) return false;
    const { bash, rm } = await this.findPaths();
    if (bash === undefined || rm === undefined) return false;
    const shell = this.current(bash);
    try {
      await shell.send(this.nextId++, `exec ${[rm, '-rf', '--', ...paths].map(shQuote).join(' ')}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the spawner (it reads EOF); running supervisors are not affected. */
  async close(): Promise<void> {
    this.closed = true;
    const shells = this.shells;
    this.shells = [];
    await Promise.all(
      shells.map(async (shell) => {
        if (shell.dead) return;
        shell.close();
        const timer = setTimeout(() => shell.proc.kill('SIGKILL'), 2000);
        await shell.exited;
        clearTimeout(timer);
        shell.die(); // settles what is left and lets go of its handles now, not at the end of its stdout
      }),
    );
  }

  /**
   * The shell for the next request: an idle one if there is one, else a new one while there are
   * fewer than `maxShells`, else the least busy. A chain of tasks keeps using one shell; 1,000
   * tasks started at once are forked by several, in parallel (one shell forks one at a time).
   */
  private current(bash: string): Shell {
    let best: Shell | undefined;
    for (const sh of this.shells) if (best === undefined || sh.pending.size < best.pending.size) best = sh;
    if (best !== undefined && (best.pending.size === 0 || this.shells.length >= this.maxShells)) return best;
    const shell = new Shell(bash, this.base, this.opts.log, (s) => {
      this.shells = this.shells.filter((x) => x !== s);
    });
    this.shells.push(shell);
    return shell;
  }

  private unavailable(why: string): undefined {
    this.unavailableUntil = Date.now() + RETRY_AFTER_MS;
    if (this.announced !== 'direct') {
      this.announced = 'direct';
      this.opts.log(`local runtime: the spawner shell is unavailable (${why}): spawning attempts directly from this process, which is slower`);
    }
    return undefined;
  }

  private findPaths(): Promise<Tools> {
    this.paths ??= (async () => ({
      bash: await firstExecutable(this.opts.bash === undefined ? BASH_PATHS : [this.opts.bash]),
      env: await firstExecutable(ENV_PATHS),
      rm: await firstExecutable(RM_PATHS),
    }))();
    return this.paths;
  }
}

async function firstExecutable(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}
