// The declared output names a runtime records on what it creates (a pod's annotation, a
// container's label) as a JSON array, so whoever adopts the attempt reads the same names.

/** The names recorded as `raw` (a JSON array of strings); [] when absent or unreadable. */
export function decodeOutputNames(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}
