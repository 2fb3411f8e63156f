// The row interfaces (src/rows.ts, src/rows/*.ts) against the schema the migrations build: every
// table has one interface, every column its field, and each field the type node-postgres returns
// for the column (nullable exactly when the column is). A migration that adds, drops, renames,
// retypes or un-nulls a column fails here until the row type says so (ADR 0012). The interfaces
// are read with the TypeScript checker from the sources; the columns from information_schema of a
// freshly migrated database; and the type map itself is checked against what pg returns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Queryable } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';

/** What a column arrives as in JavaScript. */
type Kind = 'number' | 'string' | 'boolean' | 'Date' | 'json' | 'string[]' | 'Buffer';

/** PostgreSQL data types (information_schema's `data_type`, or `udt_name` for arrays) → what pg returns. */
const COLUMN_KINDS: Record<string, Kind> = {
  bigint: 'number', // db.ts parses int8 as a number
  integer: 'number',
  numeric: 'string', // exact: pg returns text; convert deliberately
  'double precision': 'number', // e.g. percentile_cont (stats.ts)
  text: 'string',
  boolean: 'boolean',
  'timestamp with time zone': 'Date',
  jsonb: 'json',
  _text: 'string[]',
  bytea: 'Buffer',
};

/** A literal of each data type above, to check that pg (through the store's pool) returns that kind. */
const LITERALS: Record<string, string> = {
  bigint: `9007199254740991::bigint`,
  integer: `1::int`,
  numeric: `1.5::numeric`,
  'double precision': `1.5::float8`,
  text: `'x'::text`,
  boolean: `true`,
  'timestamp with time zone': `now()`,
  jsonb: `'{"a":1}'::jsonb`,
  _text: `array['a']::text[]`,
  bytea: `'\\x00'::bytea`,
};

interface Field {
  kinds: string[];
  nullable: boolean;
}
type RowInterfaces = Map<string, { name: string; fields: Map<string, Field> }>;
type Columns = Map<string, Map<string, Field>>;

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

/** The kind of one non-null type constituent, or a description of what it is instead. */
function kindOf(checker: ts.TypeChecker, t: ts.Type): string {
  if (t.flags & ts.TypeFlags.StringLike) return 'string';
  if (t.flags & ts.TypeFlags.NumberLike) return 'number';
  if (t.flags & ts.TypeFlags.BooleanLike) return 'boolean';
  if (t.flags & ts.TypeFlags.Unknown) return 'json';
  const name = t.getSymbol()?.getName();
  if (name === 'Date' || name === 'Buffer') return name;
  if (checker.isArrayType(t)) {
    const [el] = checker.getTypeArguments(t as ts.TypeReference);
    return el && kindOf(checker, el) === 'string' ? 'string[]' : checker.typeToString(t);
  }
  if (t.flags & ts.TypeFlags.Object) return 'json';
  return checker.typeToString(t);
}

/** Every exported interface whose doc comment starts with a `table` name, by table, from the row sources. */
function rowInterfaces(): RowInterfaces {
  const files = [`${srcDir}rows.ts`, ...readdirSync(`${srcDir}rows`).filter((f) => f.endsWith('.ts')).map((f) => `${srcDir}rows/${f}`)];
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [fileURLToPath(new URL('../../../node_modules/@types', import.meta.url))],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const out: RowInterfaces = new Map();
  for (const file of files) {
    const sf = program.getSourceFile(file);
    assert.ok(sf, `${file} was not read`);
    const errors = program.getSemanticDiagnostics(sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(errors, [], `${file} does not type-check here, so its row types cannot be read`);
    for (const st of sf.statements) {
      if (!ts.isInterfaceDeclaration(st) || !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      const doc = ts.getJSDocCommentsAndTags(st).map((d) => (typeof d.comment === 'string' ? d.comment : '')).join(' ');
      const table = /^`(\w+)`/.exec(doc.trim())?.[1];
      if (!table) continue;
      assert.ok(!out.has(table), `two row interfaces for ${table}: ${out.get(table)?.name} and ${st.name.text}`);
      const fields = new Map<string, Field>();
      for (const p of checker.getPropertiesOfType(checker.getTypeAtLocation(st.name))) {
        const t = checker.getTypeOfSymbolAtLocation(p, st);
        const parts = t.isUnion() ? t.types : [t];
        const nonNull = parts.filter((x) => !(x.flags & ts.TypeFlags.Null));
        fields.set(p.getName(), { kinds: [...new Set(nonNull.map((x) => kindOf(checker, x)))].sort(), nullable: nonNull.length < parts.length });
      }
      out.set(table, { name: st.name.text, fields });
    }
  }
  return out;
}

/** The columns of every table in the public schema, with the kind pg returns them as. */
async function columns(db: Queryable): Promise<Columns> {
  const { rows } = await db.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: 'YES' | 'NO' }>(
    `select c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable
     from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position`,
  );
  const out: Columns = new Map();
  for (const r of rows) {
    const type = r.data_type === 'ARRAY' ? r.udt_name : r.data_type;
    const kind = COLUMN_KINDS[type] ?? `unmapped type ${type} (teach COLUMN_KINDS what pg returns for it)`;
    const table = out.get(r.table_name) ?? new Map<string, Field>();
    table.set(r.column_name, { kinds: [kind], nullable: r.is_nullable === 'YES' });
    out.set(r.table_name, table);
  }
  return out;
}

/** Every difference between the row interfaces and the schema, one line each (none: in step). */
function drift(rows: RowInterfaces, schema: Columns): string[] {
  const problems: string[] = [];
  for (const [table, cols] of schema) {
    const row = rows.get(table);
    if (!row) {
      problems.push(`table ${table} has no row interface (add one, documented \`${table}\`, to rows.ts or rows/*.ts)`);
      continue;
    }
    for (const [col, want] of cols) {
      const have = row.fields.get(col);
      if (!have) problems.push(`${row.name} lacks ${table}.${col} (${want.kinds.join('|')}${want.nullable ? ' | null' : ''})`);
      else {
        if (have.kinds.join('|') !== want.kinds.join('|')) problems.push(`${row.name}.${col} is ${have.kinds.join('|')}; pg returns ${want.kinds.join('|')}`);
        if (have.nullable !== want.nullable) problems.push(`${row.name}.${col} is ${have.nullable ? '' : 'not '}nullable; the column is ${want.nullable ? '' : 'not '}nullable`);
      }
    }
    for (const col of row.fields.keys()) if (!cols.has(col)) problems.push(`${row.name}.${col} is not a column of ${table}`);
  }
  for (const [table, row] of rows) if (!schema.has(table)) problems.push(`${row.name} names table ${table}, which the migrations do not make`);
  return problems;
}

let db: TestDatabase;
let interfaces: RowInterfaces;
before(async () => {
  db = await createTestDatabase();
  interfaces = rowInterfaces();
});
after(async () => {
  await db.drop();
});

describe('row types against the migrated schema', () => {
  test('pg returns each mapped data type as the kind the map says', async () => {
    const kindOfValue = (v: unknown): string =>
      v instanceof Date ? 'Date' : Buffer.isBuffer(v) ? 'Buffer' : Array.isArray(v) ? (v.every((x) => typeof x === 'string') ? 'string[]' : 'array') : v !== null && typeof v === 'object' ? 'json' : typeof v;
    const types = Object.keys(COLUMN_KINDS);
    const { rows } = await db.pool.query<Record<string, unknown>>(`select ${types.map((t, i) => `${LITERALS[t]} as c${i}`).join(', ')}`);
    const got = Object.fromEntries(types.map((t, i) => [t, kindOfValue(rows[0]?.[`c${i}`])]));
    assert.deepEqual(got, COLUMN_KINDS);
  });

  test('every table has a row interface whose fields are its columns, typed as pg returns them', async () => {
    assert.deepEqual(drift(interfaces, await columns(db.pool)), []);
  });

  test('a statement without a row type has no readable column (a compile error, kept by @ts-expect-error)', async () => {
    const q: Queryable = db.pool;
    const { rows } = await q.query('select 1 as x');
    // @ts-expect-error: without `query<Row>` a column cannot be read; this line stops compiling if that changes.
    assert.equal(rows[0]?.x, 1);
  });

  test('a schema change the row types do not follow is reported, column by column', async () => {
    const other = await createTestDatabase();
    try {
      await other.pool.query(`alter table users add column nickname text;
        alter table sessions alter column address set not null;
        alter table dag_triggers alter column enabled drop default, alter column enabled type int using enabled::int;
        alter table login_handoffs rename column challenge to pkce_challenge;
        create table extra (id bigint primary key)`);
      assert.deepEqual(drift(interfaces, await columns(other.pool)).sort(), [
        'DagTriggersRow.enabled is boolean; pg returns number',
        'LoginHandoffsRow lacks login_handoffs.pkce_challenge (string)',
        'LoginHandoffsRow.challenge is not a column of login_handoffs',
        'SessionsRow.address is nullable; the column is not nullable',
        'UsersRow lacks users.nickname (string | null)',
        'table extra has no row interface (add one, documented `extra`, to rows.ts or rows/*.ts)',
      ]);
    } finally {
      await other.drop();
    }
  });
});
