// A DAG loaded from a file of the server's DAG folder (its source is `file:<path>`): the editor
// warns before saving over it, because the next change of the file replaces the saved version.

/** The file that manages a DAG with this `source`, or undefined (API, CRD, …). */
export function managedFile(source: string | undefined): string | undefined {
  return source?.startsWith('file:') ? source.slice('file:'.length) : undefined;
}

/** The file named by a 409 MANAGED_BY_FILE answer, or undefined for any other error. */
export function fileOfRefusal(e: unknown): string | undefined {
  const err = e as { code?: unknown; details?: Array<{ source?: unknown }> } | null;
  if (err?.code !== 'MANAGED_BY_FILE') return undefined;
  const src = err.details?.[0]?.source;
  return typeof src === 'string' ? src : 'a file of the DAG folder';
}

/** The question asked before saving over a file's DAG. */
export function overrideQuestion(file: string): string {
  return `This DAG is loaded from ${file} in the DAG folder. Save a version here anyway? The next change of that file replaces it.`;
}
