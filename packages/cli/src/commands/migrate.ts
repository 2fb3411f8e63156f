import type { Command } from 'commander';
import { createPool, migrate } from '@kontroler/store';
import { databaseUrlFor } from '../instance.js';
import { readSettings } from '../settings.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date (DATABASE_URL); `up` and `controller` do it at start')
    .action(async () => {
      const pool = createPool(databaseUrlFor(readSettings({})), 4);
      try {
        const applied = await migrate(pool);
        console.log(applied.length > 0 ? `applied migrations ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await pool.end();
      }
    });
}
