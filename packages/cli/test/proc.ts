// Spawning the real `kontroler` command in tests, and waiting for what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = `${ROOT}packages/cli/bin/kontroler.js`;

export interface Proc {
  child: ChildProcess;
  /** Sends `sig` to the whole process group, as Ctrl-C in a terminal does. */
  signal(sig: NodeJS.Signals): void;
  output(): string;
  /** Resolves when the output (stdout + stderr) matches; rejects if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function start(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT, cmd = process.execPath, pre: string[] = [BIN]): Proc {
  // Its own process group, so a test can send Ctrl-C to all of it (npm, sh, node) as a terminal does.
  const child = spawn(cmd, [...pre, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { for (const w of waiters) w(); r(code); }));
  return {
    child,
    signal: (sig) => {
      try {
        process.kill(-(child.pid ?? 0), sig);
      } catch {
        // already gone
      }
    },
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${re} in:\n${out}`)); }, timeoutMs);
        const check = () => {
          const m = out.match(re);
          if (m) { clearTimeout(t); waiters.delete(check); resolve(m); return; }
          if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(t); waiters.delete(check); reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${re}:\n${out}`)); }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI to completion; resolves with exit code and output. */
export async function run(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  const p = start(args, env, cwd);
  const code = await p.exited;
  return { code, out: p.output() };
}
