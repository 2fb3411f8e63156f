// Package boundaries, checked on the source tree (cheap: reads files, runs nothing):
//   - runtime-kube (the pod runtime) neither depends on nor imports the store or kube-operator;
//     the Kubernetes front end that needs the store is kube-operator;
//   - no package reaches into another one's files (`@kontroler/x/src/…`, `../../x/src/…`): only
//     what the other package exports (its package.json "exports").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '@kontroler/testing';

const packagesDir = join(repoRoot, 'packages');

/** Package folder name → its package.json. */
function packages(): Map<string, { name: string; exports?: Record<string, unknown>; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string> }> {
  const out = new Map();
  for (const dir of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, dir, 'package.json');
    if (existsSync(file)) out.set(dir, JSON.parse(readFileSync(file, 'utf8')));
  }
  return out;
}

/** TypeScript sources of a package (src/ and test/, not build output or node_modules). */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name.startsWith('dist')) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const sub of ['src', 'test']) if (existsSync(join(dir, sub))) walk(join(dir, sub));
  return out;
}

/** Every module specifier a source imports or re-exports (static, dynamic and `import()` types). */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

/**
 * What is wrong with one import of package `own` (folder name) from file `file`: a deep path into
 * another package (relative, or a bare subpath the package does not export). Undefined when fine.
 */
export function deepImport(own: string, file: string, spec: string, exportsOf: (pkgName: string) => readonly string[] | undefined): string | undefined {
  if (spec.startsWith('.')) {
    const target = relative(packagesDir, resolve(dirname(file), spec));
    const pkg = target.split(sep)[0];
    if (!target.startsWith('..') && pkg !== undefined && pkg !== own) return `${spec} reaches into packages/${pkg}: import @kontroler/${pkg} instead`;
    return undefined;
  }
  const m = /^(@kontroler\/[^/]+)(\/.+)?$/.exec(spec);
  if (!m || m[2] === undefined) return undefined;
  const exported = exportsOf(m[1]!);
  if (exported?.includes(`.${m[2]}`)) return undefined;
  return `${spec} is not an export of ${m[1]} (its package.json "exports": ${(exported ?? []).join(', ') || 'none'})`;
}

test('runtime-kube depends on no store and no Kubernetes front end (package.json, tsconfig, sources)', () => {
  const pkg = packages().get('runtime-kube');
  assert.ok(pkg, 'packages/runtime-kube/package.json exists');
  const forbidden = ['@kontroler/store', '@kontroler/kube-operator', '@kontroler/controller', '@kontroler/server', '@kontroler/cli'];
  const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
  assert.deepEqual(declared.filter((d) => forbidden.includes(d)), [], 'runtime-kube/package.json');
  for (const tsconfig of ['tsconfig.json', 'test/tsconfig.json']) {
    const text = readFileSync(join(packagesDir, 'runtime-kube', tsconfig), 'utf8');
    assert.doesNotMatch(text, /"\.\.\/(\.\.\/)?(store|kube-operator|controller|server|cli)"/, `runtime-kube/${tsconfig} references a forbidden project`);
  }
  const bad: string[] = [];
  for (const file of sources(join(packagesDir, 'runtime-kube'))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (forbidden.some((f) => spec === f || spec.startsWith(`${f}/`))) bad.push(`${relative(repoRoot, file)}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no package imports another package by a deep path', () => {
  const all = packages();
  const byName = new Map([...all.values()].map((p) => [p.name, Object.keys(p.exports ?? { '.': {} })]));
  const bad: string[] = [];
  let checked = 0;
  for (const dir of all.keys()) {
    for (const file of sources(join(packagesDir, dir))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        checked++;
        const why = deepImport(dir, file, spec, (n) => byName.get(n));
        if (why) bad.push(`${relative(repoRoot, file)}: ${why}`);
      }
    }
  }
  assert.ok(checked > 500, `read the imports of the whole tree (${checked})`);
  assert.deepEqual(bad, []);
});

test('the checks see what they must refuse', () => {
  assert.deepEqual(specifiers(`import a from 'x';\nimport type { B } from "y";\nexport { c } from './c.js';\nconst d = await import('z');\nimport 'side';\ntype E = import('w').E;`), ['x', 'y', './c.js', 'z', 'side', 'w']);
  const file = join(packagesDir, 'kube-operator', 'src', 'crd', 'x.ts');
  const exportsOf = (n: string): string[] | undefined => (n === '@kontroler/kube-agent' ? ['.', './testing'] : ['.']);
  assert.match(deepImport('kube-operator', file, '../../../runtime-kube/src/kube/informer.js', exportsOf) ?? '', /reaches into packages\/runtime-kube/);
  assert.match(deepImport('kube-operator', file, '@kontroler/runtime-kube/src/pods/pod-spec.js', exportsOf) ?? '', /not an export of @kontroler\/runtime-kube/);
  assert.match(deepImport('kube-operator', file, '@kontroler/store/dist/index.js', exportsOf) ?? '', /not an export/);
  assert.equal(deepImport('kube-operator', file, '../kube/objects.js', exportsOf), undefined);
  assert.equal(deepImport('kube-operator', file, '@kontroler/kube-agent/testing', exportsOf), undefined);
  assert.equal(deepImport('kube-operator', file, '@kontroler/store', exportsOf), undefined);
  assert.equal(deepImport('kube-operator', file, 'node:fs', exportsOf), undefined);
});
