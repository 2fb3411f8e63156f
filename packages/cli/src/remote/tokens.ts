// kontroler tokens create|list|revoke
import type { Command } from 'commander';
import type { Role } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';
import { age, print } from './output.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for CI and scripts');
  withConn(
    tokens
      .command('create')
      .description('create an API token; its secret is printed once')
      .argument('<name>', 'token name')
      .option('--role <role>', 'viewer, editor or admin (default: all of your roles)')
      .option('--namespace <ns>', 'namespace it may act in (repeatable; default all: *)', collect, [])
      .option('--expires-in-days <n>', 'lifetime in days (default: no expiry)'),
  ).action(async (name: string, o: ConnOptions & { role?: string; namespace: string[]; expiresInDays?: string }) => {
    const { client } = await connect(o);
    if (o.role !== undefined && !['viewer', 'editor', 'admin'].includes(o.role)) throw new Error('--role must be viewer, editor or admin');
    const t = await client.createToken({
      name,
      ...(o.role ? { role: o.role as Role } : {}),
      ...(o.namespace.length ? { namespaces: o.namespace } : {}),
      ...(o.expiresInDays !== undefined ? { expiresInDays: Number(o.expiresInDays) } : {}),
    });
    if (o.output && o.output !== 'table') return print(o, t, [], () => []);
    console.log(t.token);
    console.error(`token ${t.id} "${t.name}" (${t.role} in ${t.namespaces.join(',')}, expires ${t.expiresAt ?? 'never'}): store it now, it is not shown again`);
  });
  withConn(tokens.command('list').description('list your tokens').option('--all', "everyone's (admins)")).action(async (o: ConnOptions & { all?: boolean }) => {
    const { client } = await connect(o);
    const r = await client.listTokens({ all: o.all === true });
    print(o, r, ['ID', 'NAME', 'USER', 'ROLE', 'NAMESPACES', 'EXPIRES', 'LAST USED', 'AGE'], () =>
      r.items.map((t) => [t.id, t.name, t.user, t.role, t.namespaces.join(','), t.expiresAt ?? 'never', t.lastUsedAt ? `${age(t.lastUsedAt)} ago` : 'never', age(t.createdAt)]),
    );
  });
  withConn(tokens.command('revoke').description('revoke a token').argument('<id>', 'token id')).action(async (id: string, o: ConnOptions) => {
    const { client } = await connect(o);
    const n = Number(id);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`"${id}" is not a token id`);
    const t = await client.revokeToken(n);
    console.log(`token ${t.id} "${t.name}" revoked`);
  });
}
