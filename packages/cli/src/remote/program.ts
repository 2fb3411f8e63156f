// A `kontroler` program with only the remote commands: for tests and for embedding.
import { Command, CommanderError } from 'commander';
import { ApiError } from '@kontroler/client';
import { messageOf } from '@kontroler/core';
import { registerRemoteCommands } from './index.js';

export function buildRemoteProgram(): Command {
  const program = new Command('kontroler').exitOverride().showHelpAfterError();
  registerRemoteCommands(program);
  return program;
}

/** Runs the remote commands on `argv`, printing errors the way the CLI does; sets process.exitCode. */
export function runRemote(argv: string[]): Promise<void> {
  return runProgram(buildRemoteProgram(), argv);
}

/** Parses `argv` with `program`, printing errors the way the CLI does; sets process.exitCode. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    printError(e);
    process.exitCode = 1;
  }
}

export function printError(e: unknown): void {
  if (e instanceof ApiError) {
    console.error(`error [${e.code}]: ${e.message}`);
    for (const d of e.details) console.error(`  ${d.line !== undefined ? `${d.line}:${d.column ?? 1}: ` : ''}${d.path}: ${d.message}`);
    if (e.code === 'UNAUTHENTICATED') console.error('hint: run `kontroler login` (or pass --token)');
    return;
  }
  const err = e as { code?: unknown; details?: unknown };
  const code = typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code) ? ` [${err.code}]` : '';
  console.error(`error${code}: ${messageOf(e)}`);
  if (Array.isArray(err.details)) {
    for (const d of err.details as Array<{ path: string; message: string; line?: number; column?: number }>) {
      if (e instanceof Error && e.message.includes(`${d.path}: ${d.message}`)) continue; // already said
      console.error(`  ${d.line !== undefined ? `${d.line}:${d.column ?? 1}: ` : ''}${d.path}: ${d.message}`);
    }
  }
}
