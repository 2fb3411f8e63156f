// A running API server + controller over a fresh database, and a way to run the `kontroler`
// remote commands as a real child process against it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { bootstrapAdmin, createServer, type KontrolerServer, type ServerConfig } from '@kontroler/server';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime } from '@kontroler/testing';

export const ADMIN_PASSWORD = 'cli-admin-password';

/** Attempts print a line and exit 0; tasks named `fail*` exit 1; DAGs named `forever*` never end until killed. */
export function quickRuntime(): FakeRuntime {
  return new FakeRuntime((spec) => ({
    output: `${spec.task} says ${spec.env.MSG ?? 'hi'}\n`,
    ...(spec.dagName.startsWith('forever') ? {} : { exitCode: spec.task.startsWith('fail') ? 1 : 0 }),
  }), { name: 'quick' });
}

export interface RemoteEnv {
  db: TestDatabase;
  server: KontrolerServer;
  url: string;
  configFile: string;
  dir: string;
  close(): Promise<void>;
}

export async function startRemoteEnv(config: Partial<ServerConfig> = {}, withController = true): Promise<RemoteEnv> {
  const db = await createTestDatabase();
  await bootstrapAdmin(db.pool, { password: ADMIN_PASSWORD });
  const server = await createServer({ pool: db.pool, databaseUrl: db.url, config });
  const url = await server.listen(0, '127.0.0.1');
  const controller = withController
    ? new Controller({ pool: db.pool, databaseUrl: db.url, runtime: quickRuntime(), id: `cli-${Math.random()}`, log: silentLog, secrets: envSecretResolver({}), pollMs: 200 })
    : undefined;
  await controller?.start();
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-cli-'));
  return {
    db,
    server,
    url,
    dir,
    configFile: join(dir, 'config.json'),
    async close() {
      await controller?.stop();
      await server.close();
      await db.drop();
    },
  };
}

const entry = fileURLToPath(new URL('./remote-entry.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kontroler <args>` (the remote commands) in a child process. */
export function kontroler(env: RemoteEnv, args: string[], extraEnv: Record<string, string> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: env.dir, KONTROLER_CONFIG: env.configFile, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
