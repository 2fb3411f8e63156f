import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageTitle } from '../dist-lib/lib/title.js';

test('a page title names the page, most specific part first, then the product', () => {
  assert.equal(pageTitle('Run #12', 'etl-wide'), 'Run #12 · etl-wide — Kontroler');
  assert.equal(pageTitle('Runs'), 'Runs — Kontroler');
  assert.equal(pageTitle('Run #12', undefined), 'Run #12 — Kontroler', 'a part not known yet is left out');
  assert.equal(pageTitle(' ', null, false), 'Kontroler');
  assert.equal(pageTitle(), 'Kontroler');
});
