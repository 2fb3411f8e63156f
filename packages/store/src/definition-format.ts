// The stored snapshot of a DAG definition (dag_versions.definition) carries the format it was
// written in (dag_versions.definition_format, migration 8), so a later change of `DagDefinition`
// can still read the runs of older versions: add a reader for the old format here, and raise
// DEFINITION_FORMAT.
import { KontrolerError, type DagDefinition } from '@kontroler/core';

/** The format `saveDag` writes definitions in. */
export const DEFINITION_FORMAT = 1;

/**
 * The definition stored in `format`, as today's `DagDefinition`. Throws INVALID_STATE for a format
 * this code does not know (written by a newer Kontroler); `what` names the version in the message.
 * Pure.
 */
export function readDefinition(format: number, stored: unknown, what: string): DagDefinition {
  if (format === 1) return stored as DagDefinition;
  throw new KontrolerError(
    'INVALID_STATE',
    `the definition of ${what} is stored in format ${format}, which this Kontroler does not read (it reads format ${DEFINITION_FORMAT}): ` +
      'it was written by a newer Kontroler. Run that version (or newer).',
  );
}
