// One labelled form field with the validator's problems for it underneath (shared by the task,
// data-flow and DAG settings forms).
import type { ReactNode } from 'react';

export interface ShownProblem {
  message: string;
  /** Where the problem is (`outputs[0].name`): lets a test or a person find it by field. */
  at?: string;
}

export function ProblemList({ problems, prefix }: { problems: readonly ShownProblem[] | undefined; prefix?: string }) {
  return (
    <>
      {problems?.map((p, i) => (
        <span key={i} className="field-error" role="alert" data-at={p.at}>
          {prefix ? `${prefix}: ` : ''}
          {p.message}
        </span>
      ))}
    </>
  );
}

export function Field({ label, problems, children, hint, as = 'label' }: { label: string; problems?: readonly ShownProblem[]; children: ReactNode; hint?: string; as?: 'label' | 'div' }) {
  const Tag = as;
  return (
    <Tag className="field">
      <span>
        {label} {hint ? <span className="hint">{hint}</span> : null}
      </span>
      {children}
      <ProblemList problems={problems} />
    </Tag>
  );
}
