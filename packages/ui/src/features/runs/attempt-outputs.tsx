// An attempt's data flow in the task panel: the outputs it wrote (name / value; a long value
// folded) and what the references in its fields resolved to when it was created.
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

export function AttemptOutputs({ attempt }: { attempt: Attempt }) {
  const outputs = attempt.outputs ? Object.entries(attempt.outputs).sort(([a], [b]) => a.localeCompare(b)) : [];
  const resolved = attempt.resolved;
  if (outputs.length === 0 && !resolved) return null;
  return (
    <div className="section" data-testid="attempt-outputs">
      {outputs.length > 0 ? (
        <table className="data" aria-label="Outputs">
          <thead>
            <tr>
              <th>Output</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {outputs.map(([name, value]) => (
              <tr key={name} data-output={name}>
                <td className="mono">{name}</td>
                <td>
                  <Value text={value} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {resolved ? (
        <details data-testid="resolved">
          <summary>Resolved references</summary>
          <pre className="mono" style={{ whiteSpace: 'pre-wrap', margin: '4px 0' }}>{JSON.stringify(resolved, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}

/** How a task's reason reads in the panel: a false `when` says so in words. */
export function reasonText(reason: string): string {
  return reason === 'ConditionFalse' ? 'condition false (its when expression was false)' : reason;
}
