/**
 * When to tell VS Code that lenses changed. VS Code answers `onDidChangeCodeLenses` with a
 * RunOnceScheduler whose delay is the recent time lenses took to provide, measured in the workbench
 * (250 ms up; seconds when the workbench is slow to take the answers in), and every new event
 * restarts that delay. Events every 200 ms while a run logs therefore starved the lenses for as long
 * as the run kept logging. Here an event is fired only after VS Code has asked for the lenses of the
 * previous one, so each change is shown one provide-delay later however fast the store changes.
 *
 * An event can also go unanswered: the editor's text losing focus (a click into a chart beside it,
 * the terminal, a tree) cancels the pending ask, and nothing asks again until the next event. Waiting
 * for an answer that cannot come froze the lens for a minute while the run went on. So an unanswered
 * event is repeated after three times the longest wait seen lately (at least `stale`, 2 s), doubled at
 * each repeat that goes unanswered too: a repeat that restarts a slow editor's delay instead is not
 * repeated at the same pace again.
 */
export class PullThrottle {
  private dirty = false;
  private waiting = false;
  private firedAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** How long the last events waited for VS Code to ask (ms). */
  private readonly waits: number[] = [];
  /** Events repeated in a row without an answer. */
  private repeats = 0;

  constructor(
    private readonly fire: () => void,
    private readonly o: { gap?: number; stale?: number; maxStale?: number } = {},
  ) {}

  /** Something the lenses show changed. */
  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** VS Code asked for lenses: the last event was seen. */
  pulled(): void {
    if (this.waiting) {
      this.waits.push(Date.now() - this.firedAt);
      if (this.waits.length > 6) this.waits.shift();
    }
    this.waiting = false;
    this.repeats = 0;
    if (this.dirty) {
      this.clear();
      this.schedule();
    }
  }

  /**
   * The editors shown changed (one opened, one hidden, the focus moved to a panel): a pending ask may
   * have been cancelled with them, and a newly shown editor asks on its own.
   */
  editorsChanged(): void {
    if (!this.waiting) return;
    this.waiting = false;
    if (this.dirty) {
      this.clear();
      this.schedule();
    }
  }

  dispose(): void {
    this.clear();
  }

  /** How long an event may go unanswered before it is repeated (ms). */
  get staleAfter(): number {
    const base = Math.max(this.o.stale ?? 2_000, 3 * Math.max(0, ...this.waits));
    return Math.min(base * 2 ** this.repeats, this.o.maxStale ?? 65_000);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    const gap = this.o.gap ?? 100;
    const at = this.firedAt + (this.waiting ? this.staleAfter : gap);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.dirty) return;
        if (this.waiting && Date.now() < this.firedAt + this.staleAfter) return this.schedule();
        if (this.waiting) this.repeats++;
        this.dirty = false;
        this.waiting = true;
        this.firedAt = Date.now();
        this.fire();
      },
      Math.max(0, at - Date.now()),
    );
  }
}
