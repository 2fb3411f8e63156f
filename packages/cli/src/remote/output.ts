// Output as a table (default), JSON or YAML.
import { duration, table, toYaml } from '../format.js';

export { toYaml };

export type Format = 'table' | 'json' | 'yaml';

export function format(o: { output?: string }): Format {
  const f = (o.output ?? 'table').toLowerCase();
  if (f === 'table' || f === 'json' || f === 'yaml') return f;
  throw new Error(`--output ${o.output}: use table, json or yaml`);
}

/** Prints `data` as JSON / YAML, or as a table of `rows` under `headers`. */
export function print(o: { output?: string }, data: unknown, headers: string[], rows: () => Array<Array<string | number | null | undefined>>): void {
  const f = format(o);
  if (f === 'json') console.log(JSON.stringify(data, null, 2));
  else if (f === 'yaml') process.stdout.write(toYaml(data));
  else console.log(rows().length === 0 ? 'No resources found.' : table(headers, rows()));
}

export function age(iso: string | null | undefined): string {
  if (!iso) return '-';
  return duration(Date.now() - Date.parse(iso));
}

export { duration, table };

/** Writes to stdout, waiting while its buffer is full (a slow pipe holds the producer back). */
export async function writeOut(text: string): Promise<void> {
  if (text !== '' && !process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}
