// kontroler users list|create|set-password|set-roles|disable|enable|delete (admins)
import type { Command } from 'commander';
import type { Role, RoleBinding } from '@kontroler/client';
import { connect, withConn, type ConnOptions } from './connection.js';
import { age, print } from './output.js';
import { readSecret } from './prompt.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `ns=role` (ns `*` = all namespaces) into a binding; throws naming the bad one. */
export function parseBinding(s: string): RoleBinding {
  const m = /^([^=]+)=(viewer|editor|admin)$/.exec(s);
  if (!m) throw new Error(`--role "${s}": expected NAMESPACE=viewer|editor|admin (NAMESPACE * = all)`);
  return { namespace: m[1]!, role: m[2] as Role };
}

async function password(): Promise<string> {
  return process.env.KONTROLER_NEW_PASSWORD ?? (await readSecret('New password: '));
}

export function register(program: Command): void {
  const users = program.command('users').description('manage users and their roles (admin in all namespaces)');
  withConn(users.command('list').description('list users')).action(async (o: ConnOptions) => {
    const { client } = await connect(o);
    const r = await client.listUsers();
    print(o, r, ['USERNAME', 'ROLES', 'DISABLED', 'AGE'], () => r.items.map((u) => [u.username, u.roles.map((b) => `${b.namespace}=${b.role}`).join(',') || '-', String(u.disabled), age(u.createdAt)]));
  });
  withConn(
    users
      .command('create')
      .description('create a user (password from a prompt, stdin, or KONTROLER_NEW_PASSWORD)')
      .argument('<username>')
      .option('--role <ns=role>', 'role binding, e.g. team-a=editor or *=viewer (repeatable)', collect, []),
  ).action(async (username: string, o: ConnOptions & { role: string[] }) => {
    const roles = o.role.map(parseBinding);
    const { client } = await connect(o);
    const u = await client.createUser({ username, password: await password(), roles });
    console.log(`user ${u.username} created`);
  });
  withConn(users.command('set-password').description("set a user's password (revokes their sessions)").argument('<username>')).action(async (username: string, o: ConnOptions) => {
    const { client } = await connect(o);
    await client.updateUser(username, { password: await password() });
    console.log(`password of ${username} changed; their sessions are revoked`);
  });
  withConn(
    users.command('set-roles').description("replace a user's role bindings").argument('<username>').argument('<bindings...>', 'ns=role ...'),
  ).action(async (username: string, bindings: string[], o: ConnOptions) => {
    const { client } = await connect(o);
    const u = await client.updateUser(username, { roles: bindings.map(parseBinding) });
    console.log(`${u.username}: ${u.roles.map((b) => `${b.namespace}=${b.role}`).join(', ') || 'no roles'}`);
  });
  for (const what of ['disable', 'enable'] as const) {
    withConn(users.command(what).description(`${what} a user${what === 'disable' ? ' (revokes their sessions)' : ''}`).argument('<username>')).action(async (username: string, o: ConnOptions) => {
      const { client } = await connect(o);
      await client.updateUser(username, { disabled: what === 'disable' });
      console.log(`user ${username} ${what}d`);
    });
  }
  withConn(users.command('delete').description('delete a user with their sessions and tokens').argument('<username>')).action(async (username: string, o: ConnOptions) => {
    const { client } = await connect(o);
    await client.deleteUser(username);
    console.log(`user ${username} deleted`);
  });
}
