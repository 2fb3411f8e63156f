// A controller process for crash tests: `node ledger-controller.js <database url> <ledger file>`.
// Drives runs with a LedgerRuntime, logs to stdout, prints "ready" once claiming; SIGTERM stops it.
import { Controller, consoleLog, envSecretResolver } from '@kontroler/controller';
import { createPool } from '@kontroler/store';
import { LedgerRuntime } from './ledger-runtime.js';

const [url, ledger] = process.argv.slice(2);
if (!url || !ledger) throw new Error('usage: ledger-controller.js <database url> <ledger file>');
const pool = createPool(url, 5);
const runtime = new LedgerRuntime(ledger);
const c = new Controller({ pool, databaseUrl: url, runtime, id: 'ledger-controller', log: consoleLog, secrets: envSecretResolver({}), pollMs: 200 });
await c.start();
console.log('ready');
process.once('SIGTERM', () => {
  void c.stop().then(async () => {
    await runtime.close();
    await pool.end();
    process.exit(0);
  });
});
