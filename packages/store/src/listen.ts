import pg from 'pg';
import { backoffDelay } from './backoff.js';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on `channels` with a dedicated connection and calls `onNotify(channel, payload)`.
 * Reconnects after a lost connection, with jittered backoff (RECONNECT_BACKOFF), calling
 * `onReconnect` since notifications may have been missed meanwhile. Polling stays the caller's fallback.
 */
export async function listen(
  connectionString: string,
  channels: readonly string[],
  onNotify: (channel: string, payload: string) => void,
  onReconnect: () => void = () => undefined,
): Promise<Listener> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, application_name: 'kontroler-listen' });
    c.on('notification', (n) => onNotify(n.channel, n.payload ?? ''));
    c.on('error', () => {
      if (closed) return;
      c.end().catch(() => undefined);
      schedule();
    });
    await c.connect();
    for (const ch of channels) await c.query(`listen ${pg.escapeIdentifier(ch)}`);
    client = c;
  };
  const schedule = (): void => {
    if (closed || retry) return;
    failures++;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(() => {
        failures = 0;
        onReconnect();
      }, schedule);
    }, backoffDelay(failures));
  };
  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
