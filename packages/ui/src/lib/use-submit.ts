// A form's submit: busy while the action runs, its error kept for the form to show.
import { useState, type FormEvent } from 'react';

export interface Submit {
  readonly busy: boolean;
  /** What the last attempt threw; cleared when the next one starts. */
  readonly error: unknown;
  /** The form's onSubmit: prevents the page load, runs the action once at a time. */
  readonly submit: (e: FormEvent) => Promise<void>;
}

export function useSubmit(action: () => Promise<void>): Submit {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, submit };
}
