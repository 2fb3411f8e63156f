// The Kontroler DSL: a compact way to write a DAG's schedule, parameters, graph and tasks, in
// `spec.dsl` or on its own. Hand-written recursive descent with error recovery, so one pass
// reports every problem with its line and column. Grammar (compatible with the Go project's;
// extensions marked +):
//
//   file       = { item }
//   item       = "schedule" STRING
//              | "parameters" "{" { IDENT "{" { paramField } "}" } "}"
//              | "graph" "{" { chain } "}"
//              | "task" IDENT "{" { taskField } "}"
//              | "outputs" "{" { name STRING } "}"                 (+ the DAG's outputs: name value)
//   paramField = "default" STRING | "defaultFromSecret" STRING
//   chain      = targets "->" targets { "->" targets }          (+ chains, + sets on the left)
//   targets    = IDENT | "{" IDENT { "," IDENT } [","] "}"
//   taskField  = "image" STRING | "command" strings | "args" strings | "script" STRING
//              | "parameters" strings | "retry" ints | "backoff" INT
//              | "outputs" outputs | "env" "{" { name STRING } "}"               (+ data flow)
//              | "when" STRING | "withItems" items | "withParam" STRING | "maxParallel" INT
//              | "approval" "{" { approvalField } "}"
//              | "dagRef" STRING [ "{" { name STRING } "}" ]                  (+ child run, its parameters)
//   approvalField = "message" STRING | "timeout" INT | "onTimeout" STRING | "inputs" strings
//   outputs    = "[" [ output { "," output } [","] ] "]"
//   output     = STRING [ "{" [ "description" STRING ] "}" ]
//   name       = IDENT | STRING
//   items      = "[" [ value { "," value } [","] ] "]"
//   value      = STRING | INT | "true" | "false" | "null" | items
//              | "{" { name value [","] } "}"                      (an object; nests 32 deep)
//   strings    = "[" [ STRING { "," STRING } [","] ] "]"       (+ empty lists, trailing commas)
//   ints       = "[" [ INT { "," INT } [","] ] "]"
//
// STRING is `"..."` (no escapes) or `"""..."""` (multi-line, dedented); `//` comments; INT is
// digits only (so withItems has no negative or fractional numbers: write them as strings).
// `a -> b` makes b run after a. A task defaults to `backoff 3`; `retry [codes]` retries only
// those exit codes (conditional.enabled = true). Several `parameters`, `graph` or `outputs`
// blocks add up. The data-flow fields map one to one to the YAML ones (docs/data-flow.md):
// `outputs ["a", "b" { description "..." }]` → outputs[{name, description}], `env { NAME "v" }`
// → env[{name, value}], `approval { timeout N }` → approval.timeoutSeconds, and the top-level
// `outputs { total "{{...}}" }` → the DAG's outputs[{name, value}]. A task's outputs are a list
// and the DAG's a block, so `outputs {` always starts the DAG's (a task left open ends there).

import type { FieldError } from './errors.js';
import { didYouMean, type SourcePosition } from './field-path.js';
import { MAX_HINT_COMPARISONS } from './report.js';
import { parseApproval, parseItems, parseOutputList, type DslCursor } from './dsl-data-flow.js';
import { describeToken as describe, keywordHint, positionOf as at, tokenize, type Token, type TokenKind } from './dsl-lexer.js';
import type { DagParameterSpec, DagSpec, EnvVarSpec, NamedValueSpec, TaskSpec } from './spec.js';

/** The field path DSL errors are reported at. */
export const DSL_PATH = 'spec.dsl';

/** The backoff limit a DSL task gets when it does not say `backoff N` (as in the Go project). */
export const DSL_DEFAULT_BACKOFF = 3;

export { DSL_MAX_ITEM_DEPTH } from './dsl-data-flow.js';

export interface DslParseResult {
  /** What the DSL sets; only the sections it contains are present. */
  spec: Partial<Pick<DagSpec, 'schedule' | 'parameters' | 'task' | 'outputs'>>;
  /** Syntax and reference errors at path `spec.dsl`, line/column relative to the DSL text. */
  errors: FieldError[];
  /**
   * Where each produced field was written in the DSL, keyed by its field path in the DAG
   * (`spec.task[1].image`, `spec.task[1].runAfter[0]` → the edge's source, `spec.parameters[0]`,
   * `spec.task[0].env[1].value`, `spec.outputs[0].value`).
   */
  positions: Map<string, SourcePosition>;
}

const TOP_KEYWORDS = ['schedule', 'parameters', 'graph', 'task', 'outputs'];
const TASK_FIELDS = [
  'image', 'command', 'args', 'script', 'parameters', 'retry', 'backoff',
  'outputs', 'env', 'when', 'withItems', 'withParam', 'maxParallel', 'approval', 'dagRef',
];
const PARAM_FIELDS = ['default', 'defaultFromSecret'];
const MAX_ERRORS = 50;

class SyntaxProblem extends Error {}

interface Edge {
  from: string;
  to: string;
  /** Where `from` is written (runAfter entries point here). */
  pos: SourcePosition;
  toPos: SourcePosition;
}

interface DslTask {
  spec: TaskSpec;
  pos: SourcePosition;
  fieldsSeen: Set<string>;
}

/**
 * Parses DSL text into the DAG spec fields it describes. Collects every error (up to 50) instead
 * of stopping at the first; what could be read is still returned. Also reports graph edges that
 * name undefined tasks and fields set twice. Does not check the graph (cycles, roots) or
 * parameter declarations: `validateDag` does that on the merged spec. Pure; never throws.
 */
export function parseDsl(text: string): DslParseResult {
  return new Parser(text).parse();
}

class Parser implements DslCursor {
  private readonly tokens: Token[];
  private pos = 0;
  private readonly errors: FieldError[] = [];
  private readonly positions = new Map<string, SourcePosition>();
  private schedule: { value: string; pos: SourcePosition } | undefined;
  private readonly params: { spec: DagParameterSpec; pos: SourcePosition; fields: Map<string, SourcePosition> }[] = [];
  private readonly tasks: DslTask[] = [];
  private readonly edges: Edge[] = [];
  private readonly dagOutputs: { spec: NamedValueSpec; pos: SourcePosition; valuePos: SourcePosition }[] = [];
  private dagOutputsPos: SourcePosition | undefined;
  private readonly reported = new Set<string>();

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  parse(): DslParseResult {
    while (!this.at('eof') && this.errors.length < MAX_ERRORS) {
      const start = this.pos;
      try {
        this.item();
      } catch (e) {
        if (!(e instanceof SyntaxProblem)) throw e;
        this.recover(start, [], false);
      }
    }
    return this.result();
  }

  // ---- items ----------------------------------------------------------------------------

  private item(): void {
    const t = this.peek();
    if (t.kind === 'ident') {
      switch (t.value) {
        case 'schedule':
          return this.scheduleItem();
        case 'parameters':
          return this.parametersItem();
        case 'graph':
          return this.graphItem();
        case 'task':
          return this.taskItem();
        case 'outputs':
          return this.outputsItem();
      }
    }
    this.fail(t, `expected schedule, parameters, graph, task or outputs, found ${describe(t)}${keywordHint(t, TOP_KEYWORDS)}`);
  }

  /**
   * Parses `{ entry* }` after the opening brace was consumed. An entry that fails is reported
   * and skipped up to the next `sync` keyword or the closing brace, so later entries are still
   * read. A line that starts a new top-level item ends the block (a forgotten `}`).
   */
  block(what: string, sync: readonly string[], entry: () => void, unclosedHint?: (t: Token) => string): void {
    while (!this.at('}') && !this.at('eof') && !this.looksLikeItemStart() && this.errors.length < MAX_ERRORS) {
      const start = this.pos;
      try {
        entry();
      } catch (e) {
        if (!(e instanceof SyntaxProblem)) throw e;
        this.recover(start, sync, true);
      }
    }
    this.expect('}', `to close ${what}`, unclosedHint);
  }

  private scheduleItem(): void {
    const kw = this.next();
    const value = this.expectString('a quoted cron schedule after "schedule"');
    if (this.schedule !== undefined) {
      this.error(kw, `schedule is set twice (first at line ${this.schedule.pos.line})`);
      return;
    }
    this.schedule = { value: value.value, pos: at(value) };
  }

  private parametersItem(): void {
    this.next();
    this.expect('{', 'after "parameters"');
    this.block('"parameters"', [], () => this.parameter());
  }

  private parameter(): void {
    const name = this.expect('ident', 'a parameter name');
    this.expect('{', `after parameter name ${JSON.stringify(name.value)}`);
    const param = { spec: { name: name.value } as DagParameterSpec, pos: at(name), fields: new Map<string, SourcePosition>() };
    this.params.push(param);
    this.block(`parameter ${JSON.stringify(name.value)}`, PARAM_FIELDS, () => {
      const f = this.peek();
      if (f.kind !== 'ident' || !PARAM_FIELDS.includes(f.value)) {
        this.fail(f, `expected default or defaultFromSecret in parameter ${JSON.stringify(name.value)}, found ${describe(f)}${keywordHint(f, PARAM_FIELDS)}`);
      }
      this.next();
      const v = this.expectString(`a quoted value after "${f.value}"`);
      if (param.fields.has(f.value)) {
        this.error(f, `${f.value} is set twice in parameter ${JSON.stringify(name.value)}`);
        return;
      }
      param.fields.set(f.value, at(v));
      if (f.value === 'default') param.spec.defaultValue = v.value;
      else param.spec.defaultFromSecret = v.value;
    });
  }

  private graphItem(): void {
    this.next();
    this.expect('{', 'after "graph"');
    this.block('"graph"', [], () => this.chain());
  }

  private chain(): void {
    let left = this.targets();
    if (!this.at('arrow')) this.fail(this.peek(), `expected -> after ${left.map((t) => t.value).join(', ')}, found ${describe(this.peek())}`);
    while (this.at('arrow')) {
      this.next();
      const right = this.targets();
      for (const from of left) for (const to of right) this.edges.push({ from: from.value, to: to.value, pos: at(from), toPos: at(to) });
      left = right;
    }
  }

  private targets(): Token[] {
    if (this.at('ident')) return [this.next()];
    if (!this.at('{')) this.fail(this.peek(), `expected a task name or {a, b}, found ${describe(this.peek())}`);
    this.next();
    const out: Token[] = [this.expect('ident', 'a task name')];
    while (this.at(',')) {
      this.next();
      if (this.at('}')) break;
      out.push(this.expect('ident', 'a task name after ","'));
    }
    this.expect('}', 'to close the task set');
    return out;
  }

  private taskItem(): void {
    this.next();
    const name = this.expect('ident', 'a task name after "task"');
    this.expect('{', `after task name ${JSON.stringify(name.value)}`);
    const task: DslTask = {
      spec: { name: name.value, backoff: { limit: DSL_DEFAULT_BACKOFF }, conditional: { enabled: false, retryCodes: [] } },
      pos: at(name),
      fieldsSeen: new Set(),
    };
    this.tasks.push(task);
    this.block(`task ${JSON.stringify(name.value)}`, TASK_FIELDS, () => this.taskField(task), (t) =>
      t.kind === 'ident' && t.value === 'outputs'
        ? ` (the DAG's outputs { NAME "value" } start here; a task's outputs are a list: outputs ["name", ...])`
        : '',
    );
  }

  private outputsItem(): void {
    const kw = this.next();
    this.dagOutputsPos ??= at(kw);
    this.expect('{', 'after "outputs"');
    this.block('"outputs"', [], () => {
      const name = this.name('a DAG output name');
      const value = this.expectString(`a quoted value for DAG output ${JSON.stringify(name.value)}`);
      this.dagOutputs.push({ spec: { name: name.value, value: value.value }, pos: at(name), valuePos: at(value) });
    });
  }

  private taskField(task: DslTask): void {
    const f = this.peek();
    const taskName = JSON.stringify(task.spec.name);
    if (f.kind !== 'ident' || !TASK_FIELDS.includes(f.value)) {
      this.fail(f, `expected a task field (${TASK_FIELDS.join(', ')}) in task ${taskName}, found ${describe(f)}${keywordHint(f, TASK_FIELDS)}`);
    }
    this.next();
    const duplicate = task.fieldsSeen.has(f.value);
    task.fieldsSeen.add(f.value);
    const set = (apply: () => void): void => {
      if (duplicate) this.error(f, `${f.value} is set twice in task ${taskName}`);
      else apply();
    };
    const key = (field: string): string => `task#${this.tasks.length - 1}.${field}`;
    switch (f.value) {
      case 'image':
      case 'script':
      case 'when':
      case 'withParam': {
        const v = this.expectString(`a quoted value after "${f.value}"`);
        set(() => {
          task.spec[f.value as 'image' | 'script' | 'when' | 'withParam'] = v.value;
          this.positions.set(key(f.value), at(v));
        });
        return;
      }
      case 'command':
      case 'args':
      case 'parameters': {
        const list = this.list('string', `quoted strings in ${f.value}`);
        set(() => {
          task.spec[f.value as 'command' | 'args' | 'parameters'] = list.map((t) => t.value);
          this.positions.set(key(f.value), at(f));
          list.forEach((t, i) => this.positions.set(`${key(f.value)}[${i}]`, at(t)));
        });
        return;
      }
      case 'retry': {
        const list = this.list('int', 'exit codes (integers) in retry');
        set(() => {
          const codes = list.map((t) => Number(t.value));
          task.spec.conditional = { enabled: codes.length > 0, retryCodes: codes };
          this.positions.set(key('conditional'), at(f));
          list.forEach((t, i) => this.positions.set(`${key('conditional.retryCodes')}[${i}]`, at(t)));
        });
        return;
      }
      case 'backoff': {
        const v = this.expect('int', 'a retry count (an integer) after "backoff"');
        set(() => {
          task.spec.backoff = { limit: Number(v.value) };
          this.positions.set(key('backoff.limit'), at(v));
        });
        return;
      }
      case 'maxParallel': {
        const v = this.int('a number of instances (an integer) after "maxParallel"');
        set(() => {
          task.spec.maxParallel = v.value;
          this.positions.set(key('maxParallel'), at(v.token));
        });
        return;
      }
      case 'outputs': {
        const outs = parseOutputList(this);
        set(() => {
          task.spec.outputs = outs.map((o) => o.spec);
          this.positions.set(key('outputs'), at(f));
          outs.forEach((o, i) => {
            this.positions.set(key(`outputs[${i}]`), o.pos);
            this.positions.set(key(`outputs[${i}].name`), o.pos);
            if (o.descriptionPos !== undefined) this.positions.set(key(`outputs[${i}].description`), o.descriptionPos);
          });
        });
        return;
      }
      case 'env': {
        this.expect('{', 'after "env"');
        const vars: { spec: EnvVarSpec; pos: SourcePosition; valuePos: SourcePosition }[] = [];
        this.block(`env of task ${taskName}`, [], () => {
          const name = this.name('an environment variable name');
          const value = this.expectString(`a quoted value for environment variable ${JSON.stringify(name.value)}`);
          vars.push({ spec: { name: name.value, value: value.value }, pos: at(name), valuePos: at(value) });
        });
        set(() => {
          task.spec.env = vars.map((v) => v.spec);
          this.positions.set(key('env'), at(f));
          vars.forEach((v, i) => {
            this.positions.set(key(`env[${i}]`), v.pos);
            this.positions.set(key(`env[${i}].name`), v.pos);
            this.positions.set(key(`env[${i}].value`), v.valuePos);
          });
        });
        return;
      }
      case 'withItems': {
        const open = this.expect('[', 'to start the list of items after "withItems"');
        const items = parseItems(this, open, 1);
        set(() => {
          task.spec.withItems = items.map((x) => x.value);
          this.positions.set(key('withItems'), at(f));
          items.forEach((x, i) => this.positions.set(key(`withItems[${i}]`), at(x.token)));
        });
        return;
      }
      case 'dagRef': {
        const dag = this.expectString('the quoted name of the DAG to run after "dagRef"');
        const params: { spec: NamedValueSpec; pos: SourcePosition; valuePos: SourcePosition }[] = [];
        if (this.at('{')) {
          this.next();
          this.block(`the dagRef parameters of task ${taskName}`, [], () => {
            const name = this.name('a parameter name');
            const value = this.expectString(`a quoted value for parameter ${JSON.stringify(name.value)}`);
            params.push({ spec: { name: name.value, value: value.value }, pos: at(name), valuePos: at(value) });
          });
        }
        set(() => {
          task.spec.dagRef = { name: dag.value, parameters: params.map((p) => p.spec) };
          this.positions.set(key('dagRef'), at(f));
          this.positions.set(key('dagRef.name'), at(dag));
          params.forEach((p, i) => {
            this.positions.set(key(`dagRef.parameters[${i}]`), p.pos);
            this.positions.set(key(`dagRef.parameters[${i}].name`), p.pos);
            this.positions.set(key(`dagRef.parameters[${i}].value`), p.valuePos);
          });
        });
        return;
      }
      case 'approval': {
        const approval = parseApproval(this, taskName);
        set(() => {
          task.spec.approval = approval.spec;
          this.positions.set(key('approval'), at(f));
          for (const [rest, pos] of approval.positions) this.positions.set(key(`approval.${rest}`), pos);
        });
        return;
      }
    }
  }

  /** A name written as an identifier or, for names that are not identifiers, a quoted string. */
  name(what: string): Token {
    return this.at('string') ? this.next() : this.expect('ident', what);
  }

  /** An integer token and its value; one past Number.MAX_SAFE_INTEGER is an error. */
  int(what: string): { token: Token; value: number } {
    const token = this.expect('int', what);
    const value = Number(token.value);
    if (!Number.isSafeInteger(value)) this.fail(token, `the number ${token.value} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
    return { token, value };
  }

  list(kind: 'string' | 'int', what: string): Token[] {
    this.expect('[', `to start a list of ${what}`);
    const out: Token[] = [];
    while (!this.at(']')) {
      out.push(this.expect(kind, what));
      if (this.at(',')) this.next();
      else break;
    }
    this.expect(']', `to close the list of ${what}`);
    return out;
  }

  // ---- result ---------------------------------------------------------------------------

  private result(): DslParseResult {
    const spec: DslParseResult['spec'] = {};
    if (this.schedule !== undefined) {
      spec.schedule = this.schedule.value;
      this.positions.set('spec.schedule', this.schedule.pos);
    }
    if (this.params.length > 0) {
      spec.parameters = this.params.map((p, i) => {
        this.positions.set(`spec.parameters[${i}]`, p.pos);
        this.positions.set(`spec.parameters[${i}].name`, p.pos);
        for (const [field, pos] of p.fields) {
          this.positions.set(`spec.parameters[${i}].${field === 'default' ? 'defaultValue' : field}`, pos);
        }
        return p.spec;
      });
    }
    if (this.dagOutputs.length > 0) {
      this.positions.set('spec.outputs', this.dagOutputsPos ?? this.dagOutputs[0]?.pos ?? { line: 1, column: 1 });
      spec.outputs = this.dagOutputs.map((o, i) => {
        this.positions.set(`spec.outputs[${i}]`, o.pos);
        this.positions.set(`spec.outputs[${i}].name`, o.pos);
        this.positions.set(`spec.outputs[${i}].value`, o.valuePos);
        return o.spec;
      });
    }
    const defined = new Set(this.tasks.map((t) => t.spec.name));
    const deps = new Map<string, { from: string; pos: SourcePosition }[]>();
    let hintBudget = MAX_HINT_COMPARISONS; // as in Report: hints stop before they cost O(n²)
    const seenEdges = new Set<string>(); // a Set, not a scan of the list: a wide fan-in stays linear
    for (const e of this.edges) {
      for (const [name, role, pos] of [[e.from, 'runs before', e.pos], [e.to, 'runs after', e.toPos]] as const) {
        if (!defined.has(name) && !this.reported.has(`${name}@${pos.line}:${pos.column}`)) {
          this.reported.add(`${name}@${pos.line}:${pos.column}`);
          this.errors.push({
            path: DSL_PATH,
            message: `graph: task ${JSON.stringify(name)} is not defined${(hintBudget -= defined.size) >= 0 ? didYouMean(name, defined) : ''} (the edge says it ${role} ${JSON.stringify(name === e.from ? e.to : e.from)}; add "task ${name} { ... }")`,
            line: pos.line,
            column: pos.column,
          });
        }
      }
      const key = `${e.from}\u0000${e.to}`;
      if (seenEdges.has(key)) continue;
      seenEdges.add(key);
      const list = deps.get(e.to) ?? [];
      list.push({ from: e.from, pos: e.pos });
      deps.set(e.to, list);
    }
    if (this.tasks.length > 0) {
      // Positions recorded as `task#i.field` move under `spec.task[i]`: grouped in one pass.
      const byTask = new Map<number, Array<[string, SourcePosition]>>();
      for (const [k, v] of [...this.positions]) {
        const m = /^task#(\d+)\.(.*)$/s.exec(k);
        if (m === null) continue;
        this.positions.delete(k);
        const i = Number(m[1]);
        const group = byTask.get(i) ?? [];
        group.push([m[2] ?? '', v]);
        byTask.set(i, group);
      }
      spec.task = this.tasks.map((t, i) => {
        const base = `spec.task[${i}]`;
        this.positions.set(base, t.pos);
        this.positions.set(`${base}.name`, t.pos);
        for (const [rest, v] of byTask.get(i) ?? []) this.positions.set(`${base}.${rest}`, v);
        const d = deps.get(t.spec.name) ?? [];
        if (d.length === 0) return t.spec;
        d.forEach((x, k) => this.positions.set(`${base}.runAfter[${k}]`, x.pos));
        this.positions.set(`${base}.runAfter`, d[0]?.pos ?? t.pos);
        return { ...t.spec, runAfter: d.map((x) => x.from) };
      });
    }
    return { spec, errors: this.errors, positions: this.positions };
  }

  // ---- tokens and recovery ---------------------------------------------------------------

  peek(): Token {
    return this.tokens[this.pos] ?? this.tokens[this.tokens.length - 1] ?? { kind: 'eof', value: '', line: 1, column: 1 };
  }

  at(kind: TokenKind): boolean {
    return this.peek().kind === kind;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  expect(kind: TokenKind, what: string, hint?: (t: Token) => string): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    const wanted = kind === 'ident' || kind === 'string' || kind === 'int' ? what : `"${kind}" ${what}`;
    return this.fail(t, `expected ${wanted}, found ${describe(t)}${hint?.(t) ?? ''}`);
  }

  expectString(what: string): Token {
    return this.expect('string', what);
  }

  error(t: Token, message: string): void {
    // An unterminated string swallowed the rest of the text: "found the end" would only echo it.
    if (t.kind === 'eof' && this.tokens.some((x) => x.kind === 'error' && x.message?.startsWith('unterminated') === true)) return;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ path: DSL_PATH, message, line: t.line, column: t.column });
  }

  fail(t: Token, message: string): never {
    this.error(t, t.kind === 'error' && t.message !== undefined ? t.message : message);
    throw new SyntaxProblem(message);
  }

  /**
   * Skips ahead after an error, consuming at least one token: to the closing brace of the
   * enclosing block (`inBlock`), to the next `sync` keyword that starts a statement at the
   * block's nesting level, or to the next top-level item.
   */
  private recover(start: number, sync: readonly string[], inBlock: boolean): void {
    let level = 0;
    for (let k = start; k < this.pos; k++) level += braceDelta(this.tokens[k]);
    if (this.pos === start) level += braceDelta(this.next());
    level = Math.max(level, 0);
    while (!this.at('eof')) {
      const t = this.peek();
      if (this.looksLikeItemStart()) return;
      if (level === 0) {
        if (inBlock && t.kind === '}') return;
        if (t.kind === 'ident' && sync.includes(t.value) && this.isStatementStart()) return;
      }
      level = Math.max(level + braceDelta(t), 0);
      this.next();
    }
  }

  /** `task NAME`, `schedule "..."`, `graph {`, `parameters {` or `outputs {` at the start of a statement. */
  private looksLikeItemStart(): boolean {
    const t = this.peek();
    const n = this.tokens[this.pos + 1];
    if (t.kind !== 'ident' || n === undefined || !this.isStatementStart()) return false;
    switch (t.value) {
      case 'task':
        return n.kind === 'ident';
      case 'schedule':
        return n.kind === 'string';
      case 'graph':
      case 'parameters':
      case 'outputs':
        return n.kind === '{';
      default:
        return false;
    }
  }

  /** An identifier that follows a value, a brace or nothing: it starts a statement. */
  private isStatementStart(): boolean {
    const prev = this.tokens[this.pos - 1];
    return prev === undefined || prev.kind === '}' || prev.kind === '{' || prev.kind === ']' || prev.kind === 'string' || prev.kind === 'int' || prev.kind === 'error';
  }
}

function braceDelta(t: Token | undefined): number {
  return t?.kind === '{' ? 1 : t?.kind === '}' ? -1 : 0;
}
