// The UI bundles @kontroler/client, whose types come from @kontroler/api-schema (TypeBox values):
// the client may import them as types only, and the schema package may need neither Node nor the
// DOM, so nothing of the server (Fastify, Node built-ins) or of TypeBox reaches the browser bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

function sources(pkg: string): Array<{ file: string; text: string }> {
  const dir = join(PACKAGES, pkg, 'src');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${pkg}/src/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
}

/** Every `import … from 'x'` / `export … from 'x'` statement of a file: its text and its module. */
function imports(text: string): Array<{ statement: string; from: string }> {
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)';/gms)].map((m) => ({ statement: m[0], from: m[1]! }));
}

test('the client imports other packages as types only', () => {
  const files = sources('client');
  assert.ok(files.length > 0);
  let seen = 0;
  for (const { file, text } of files) {
    for (const i of imports(text)) {
      if (i.from.startsWith('.')) continue;
      seen++;
      assert.match(i.statement, /^(import|export) type /, `${file}: ${i.statement.split('\n')[0]} must be a type-only import`);
    }
    assert.doesNotMatch(text, /\bimport\(/, `${file}: no dynamic imports`);
  }
  assert.ok(seen > 0, 'the client takes its types from @kontroler/api-schema');
});

test('the schema package needs only TypeBox', () => {
  const files = sources('api-schema');
  assert.ok(files.length > 0);
  for (const { file, text } of files) {
    for (const i of imports(text)) {
      assert.ok(i.from.startsWith('./') || i.from === '@sinclair/typebox', `${file} imports ${i.from}: the schemas may need only TypeBox`);
    }
  }
});
