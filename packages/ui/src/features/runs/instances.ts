// A mapped task's instances as the run page names and shows them (pure). An instance of the
// mapped task NAME is the task `NAME[i]`; task names are DNS-1123 names (no brackets), so the
// name alone tells an instance from a task, and `?task=NAME[i]` selects it.

/** Characters of an item shown in the instances table (the whole item is in the row's title). */
export const ITEM_CHARS = 60;

const INSTANCE = /^(.+)\[(\d+)\]$/;

/** The mapped task and index of an instance's name, or undefined for any other name. */
export function instanceRef(name: string): { mapOf: string; index: number } | undefined {
  const m = INSTANCE.exec(name);
  return m ? { mapOf: m[1]!, index: Number(m[2]) } : undefined;
}

/** The name of instance `index` of the mapped task `mapOf`. */
export function instanceName(mapOf: string, index: number): string {
  return `${mapOf}[${index}]`;
}

/** An item as text: a string as it is, anything else as JSON. */
export function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  return item === undefined ? '' : (JSON.stringify(item) ?? String(item));
}

/** An item cut to `max` characters (an ellipsis marks the cut). */
export function itemShort(item: unknown, max = ITEM_CHARS): string {
  const t = itemText(item).replace(/\n/g, '⏎');
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}
