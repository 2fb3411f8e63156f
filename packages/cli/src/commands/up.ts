import type { Command } from 'commander';
import { readSettings, type SettingFlags } from '../settings.js';
import { startStack } from '../stack.js';

export function register(program: Command): void {
  program
    .command('up')
    .description('all-in-one: embedded PostgreSQL (unless DATABASE_URL), controller, local runtime, API and UI')
    .option('--dags <dir>', 'DAG folder to load and watch (KONTROLER_DAGS_DIR, default ./dags)')
    .option('--data-dir <dir>', 'where data lives (KONTROLER_DATA_DIR, default ./.kontroler)')
    .option('--port <n>', 'HTTP port (PORT, default 8080)')
    .option('--host <addr>', 'HTTP listen address (KONTROLER_HOST, default 127.0.0.1)')
    .action(async (o: SettingFlags) => {
      const stack = await startStack(readSettings(o), { embedded: true, server: true, folder: true });
      await stack.untilSignal();
    });

  program
    .command('controller')
    .description('run the controller only (needs DATABASE_URL); several may share one database')
    .option('--data-dir <dir>', 'local runtime state (KONTROLER_DATA_DIR, default ./.kontroler)')
    .option('--dags <dir>', 'also load and watch this DAG folder')
    .action(async (o: SettingFlags) => {
      const s = readSettings(o);
      if (!s.databaseUrl) throw new Error('kontroler controller needs DATABASE_URL (a PostgreSQL connection string)');
      const stack = await startStack(s, { embedded: false, server: false, folder: o.dags !== undefined });
      await stack.untilSignal();
    });
}
