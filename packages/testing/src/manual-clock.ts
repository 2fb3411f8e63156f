// A clock the test moves by hand, for code that takes `now: () => number` (epoch ms).

export class ManualClock {
  constructor(private at = 0) {}

  /** The current time; pass it as `now` / `clock` (it is bound). */
  readonly now = (): number => this.at;

  /** Moves the clock forward by `ms` and returns the new time. */
  advance(ms: number): number {
    if (ms < 0) throw new Error(`ManualClock.advance(${ms}): a clock does not go back; use set()`);
    this.at += ms;
    return this.at;
  }

  /** Sets the clock to `at` (epoch ms). */
  set(at: number): void {
    this.at = at;
  }
}
