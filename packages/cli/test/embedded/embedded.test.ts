import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';

test('the test run has a real PostgreSQL server', async () => {
  const url = process.env.KONTROLER_TEST_DATABASE_URL;
  assert.ok(url, 'KONTROLER_TEST_DATABASE_URL must be set by scripts/test.mjs');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ v: string }>('select version() as v');
  await client.end();
  assert.match(rows[0]?.v ?? '', /PostgreSQL/);
});
