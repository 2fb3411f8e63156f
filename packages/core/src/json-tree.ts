// JSON text → a tree of nodes with source ranges, for the loader's fast path (issue 13). JSON is
// YAML too, and the `yaml` package reads it correctly, but it builds a concrete syntax tree, a
// token stream and a document per node: ~90 % of the time of loading a 100,000-task JSON DAG.
// This reader is one linear pass with the same result for the JSON it accepts: the nodes carry
// what load.ts reads from yaml's nodes (`items`, `key`/`value`, `value`, `range`), so structure
// checks, messages and positions are the same code. Anything it does not accept exactly as the
// yaml package would read it (not JSON, a top level that is not an object, a duplicate key, a raw
// carriage return, ...) makes it answer undefined, and the text goes through the yaml package.

/** Where a node is written: [start, end) offsets in the text. */
abstract class Placed {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** [start, end), as yaml's nodes have it (made when asked: positions are rarely needed). */
  get range(): readonly [number, number] {
    return [this.start, this.end];
  }
}

/** A string, number, boolean or null. */
export class JsonScalar extends Placed {
  constructor(readonly value: string | number | boolean | null, start: number, end: number) {
    super(start, end);
  }
}

/** A `[...]` list. */
export class JsonSeq extends Placed {
  constructor(readonly items: JsonNode[], start: number, end: number) {
    super(start, end);
  }
}

/** One `"key": value` member of an object. */
export interface JsonPair {
  readonly key: JsonScalar;
  readonly value: JsonNode;
}

/** A `{...}` object; keys are unique. */
export class JsonMap extends Placed {
  constructor(readonly items: JsonPair[], start: number, end: number) {
    super(start, end);
  }
}

export type JsonNode = JsonScalar | JsonSeq | JsonMap;

export interface JsonTree {
  root: JsonMap;
  /** Offsets where lines start (0 first), as yaml's `LineCounter.lineStarts`. */
  lineStarts: number[];
}

/** Thrown inside the reader for anything it leaves to the yaml package; never escapes. */
class NotPlainJson extends Error {}

/**
 * The tree of `text` when it is one JSON object (surrounded by JSON whitespace) with unique keys
 * in every object, else undefined. Linear in the text; never throws. The caller limits nesting
 * first (`findExcessNesting`): the reader recurses once per level.
 */
export function parseJsonTree(text: string): JsonTree | undefined {
  const r = new Reader(text);
  try {
    r.space();
    if (text.charCodeAt(r.at) !== 0x7b /* { */) return undefined;
    const root = r.object();
    r.space();
    if (r.at !== text.length) return undefined;
    return { root, lineStarts: r.lineStarts };
  } catch (e) {
    if (e instanceof NotPlainJson) return undefined;
    throw e;
  }
}

/** Objects with fewer keys are checked for duplicates by a scan instead of a Set. */
const SMALL_OBJECT = 12;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Reader {
  at = 0;
  readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {}

  /** Skips JSON whitespace, recording line starts. A lone `\r` is not a YAML line break: refuse. */
  space(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.at);
      if (c === 0x20 || c === 0x09) this.at++;
      else if (c === 0x0a) this.lineStarts.push(++this.at);
      else if (c === 0x0d) {
        if (t.charCodeAt(this.at + 1) !== 0x0a) throw new NotPlainJson();
        this.at++;
      } else return;
    }
  }

  value(): JsonNode {
    const t = this.text;
    const c = t.charCodeAt(this.at);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    const start = this.at;
    if (t.startsWith('true', start)) return this.literal(true, 4);
    if (t.startsWith('false', start)) return this.literal(false, 5);
    if (t.startsWith('null', start)) return this.literal(null, 4);
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(t);
    if (m === null) throw new NotPlainJson();
    this.at = start + m[0].length;
    return new JsonScalar(Number(m[0]), start, this.at);
  }

  private literal(value: boolean | null, length: number): JsonScalar {
    const start = this.at;
    this.at += length;
    return new JsonScalar(value, start, this.at);
  }

  object(): JsonMap {
    const t = this.text;
    const start = this.at++;
    const items: JsonPair[] = [];
    let seen: Set<string> | undefined; // made once an object has many keys; small ones are scanned
    this.space();
    if (t.charCodeAt(this.at) === 0x7d /* } */) {
      this.at++;
      return new JsonMap(items, start, this.at);
    }
    for (;;) {
      if (t.charCodeAt(this.at) !== 0x22) throw new NotPlainJson();
      const key = this.string();
      const name = key.value as string;
      // yaml reports a duplicate key as a YAML error; leave the whole text to it.
      if (items.length < SMALL_OBJECT) {
        for (const p of items) if (p.key.value === name) throw new NotPlainJson();
      } else {
        seen ??= new Set(items.map((p) => p.key.value as string));
        if (seen.has(name)) throw new NotPlainJson();
        seen.add(name);
      }
      this.space();
      if (t.charCodeAt(this.at) !== 0x3a /* : */) throw new NotPlainJson();
      this.at++;
      this.space();
      items.push({ key, value: this.value() });
      this.space();
      const c = t.charCodeAt(this.at++);
      if (c === 0x7d) return new JsonMap(items, start, this.at);
      if (c !== 0x2c /* , */) throw new NotPlainJson();
      this.space();
    }
  }

  private array(): JsonSeq {
    const t = this.text;
    const start = this.at++;
    const items: JsonNode[] = [];
    this.space();
    if (t.charCodeAt(this.at) === 0x5d /* ] */) {
      this.at++;
      return new JsonSeq(items, start, this.at);
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = t.charCodeAt(this.at++);
      if (c === 0x5d) return new JsonSeq(items, start, this.at);
      if (c !== 0x2c) throw new NotPlainJson();
      this.space();
    }
  }

  private string(): JsonScalar {
    const t = this.text;
    const start = this.at;
    let escaped = false;
    for (let i = start + 1; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.at = i + 1;
        return new JsonScalar(escaped ? decodeString(t.slice(start, i + 1)) : t.slice(start + 1, i), start, this.at);
      }
      if (c === 0x5c /* \ */) {
        escaped = true;
        i++;
      } else if (c < 0x20) throw new NotPlainJson(); // raw control characters: not JSON
    }
    throw new NotPlainJson();
  }
}

function decodeString(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw new NotPlainJson(); // an escape JSON does not know (`\x41`): yaml decides
  }
}
