// kontroler shard create|list|delete: PostgreSQL roles for shard controllers, each confined by
// row-level security to its namespaces (store shards.ts). Run with an admin DATABASE_URL.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createPool, createShard, deleteShard, listShards } from '@kontroler/store';
import { print } from '../remote/output.js';

/** Bytes of a shard role's generated password (base64url: 43 characters). */
export const SHARD_PASSWORD_BYTES = 32;

function adminUrl(env: NodeJS.ProcessEnv): string {
  const url = env.DATABASE_URL || env.KONTROLER_DATABASE_URL;
  if (!url) throw new Error('kontroler shard needs DATABASE_URL: a connection string of a superuser, or of the tables\' owner with CREATEROLE');
  return url;
}

/** The connection string of `role` with `password`: the admin's, with its user and password replaced. */
export function shardUrl(admin: string, role: string, password: string): string {
  const u = new URL(admin);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** `a,b , c` → ['a', 'b', 'c']. */
function namespaceList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function withPool<T>(fn: (pool: ReturnType<typeof createPool>, url: string) => Promise<T>): Promise<T> {
  const url = adminUrl(process.env);
  const pool = createPool(url, 2);
  try {
    return await fn(pool, url);
  } finally {
    await pool.end();
  }
}

export function register(program: Command): void {
  const shard = program
    .command('shard')
    .description('PostgreSQL roles for shard controllers, each confined to its namespaces by row-level security (needs an admin DATABASE_URL)');
  shard
    .command('create <name>')
    .description('create a shard role; prints its connection string once (the secret: give it to the shard controller as DATABASE_URL)')
    .requiredOption('--namespaces <a,b>', 'the namespaces whose runs, logs and DAGs the shard may see and change')
    .action(async (name: string, o: { namespaces: string }) => {
      await withPool(async (pool, url) => {
        const password = randomBytes(SHARD_PASSWORD_BYTES).toString('base64url');
        const s = await createShard(pool, { name, namespaces: namespaceList(o.namespaces), password });
        console.log(shardUrl(url, s.role, password));
        console.error(`shard ${s.name} (role ${s.role}, namespaces ${s.namespaces.join(',')}): store the connection string now, it is not shown again`);
      });
    });
  shard
    .command('list')
    .description('list shards')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(async (o: { output?: string }) => {
      await withPool(async (pool) => {
        const shards = await listShards(pool);
        print(o, shards, ['NAME', 'ROLE', 'NAMESPACES', 'CREATED'], () => shards.map((s) => [s.name, s.role, s.namespaces.join(','), s.createdAt.toISOString()]));
      });
    });
  shard
    .command('delete <name>')
    .description('delete a shard: its policies, grants and role (a controller still connected as it is refused from then on)')
    .action(async (name: string) => {
      await withPool(async (pool) => {
        await deleteShard(pool, name);
        console.log(`shard ${name} deleted`);
      });
    });
}
