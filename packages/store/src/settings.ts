// Server-wide settings shared by replicas and kept across restarts.
import type { Queryable } from './db.js';
import type { ServerSettingsRow } from './rows/system.js';

/**
 * Returns the stored value of `key`, storing `make()` first when there is none. Safe under
 * concurrency: every caller gets the value that won.
 */
export async function getOrCreateSetting(db: Queryable, key: string, make: () => string): Promise<string> {
  await db.query('insert into server_settings (key, value) values ($1, $2) on conflict (key) do nothing', [key, make()]);
  const { rows } = await db.query<Pick<ServerSettingsRow, 'value'>>('select value from server_settings where key = $1', [key]);
  return rows[0]!.value;
}
