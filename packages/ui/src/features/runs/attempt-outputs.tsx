// An attempt's data flow in the task panel: the outputs it wrote (name / value; a long value
// folded) and what the references in its fields resolved to when it was created. A mapped
// task's reduced outputs (JSON arrays over its instances) show in the same table.
import type { Attempt } from '@kontroler/client';

/** Values longer than this are folded behind "show all". */
export const FOLD_CHARS = 200;

function Value({ text }: { text: string }) {
  if (text.length <= FOLD_CHARS && !text.includes('\n')) return <span className="mono">{text === '' ? '""' : text}</span>;
  return (
    <details>
      <summary className="mono">{`${text.slice(0, 60).replace(/\n/g, '⏎')}… (${text.length} characters: show all)`}</summary>
      <pre className="mono" style={{ whiteSpace: 'pre-wrap', margin: '4px 0' }}>{text}</pre>
    </details>
  );
}

/** Outputs (or other named values: `column` heads their names) by name, sorted, a long value folded. */
export function OutputsTable({ outputs, label = 'Outputs', column = 'Output' }: { outputs: Readonly<Record<string, string>>; label?: string; column?: string }) {
  const rows = Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b));
  return (
    <table className="data" aria-label={label}>
      <thead>
        <tr>
          <th>{column}</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name} data-output={name}>
            <td className="mono">{name}</td>
            <td>
              <Value text={value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AttemptOutputs({ attempt }: { attempt: Attempt }) {
  const outputs = attempt.outputs ?? {};
  const resolved = attempt.resolved;
  if (Object.keys(outputs).length === 0 && !resolved) return null;
  return (
    <div className="section" data-testid="attempt-outputs">
      {Object.keys(outputs).length > 0 ? <OutputsTable outputs={outputs} /> : null}
      {resolved ? (
        <details data-testid="resolved">
          <summary>Resolved references</summary>
          <pre className="mono" style={{ whiteSpace: 'pre-wrap', margin: '4px 0' }}>{JSON.stringify(resolved, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}
