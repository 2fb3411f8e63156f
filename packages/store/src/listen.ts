import pg from 'pg';

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on `channels` with a dedicated connection and calls `onNotify(channel, payload)`.
 * Reconnects after a lost connection (calling `onReconnect`, since notifications may have been
 * missed meanwhile). Polling stays the caller's fallback.
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
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(onReconnect, schedule);
    }, 1000);
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
