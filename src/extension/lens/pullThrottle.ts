/**
 * When to tell VS Code that lenses changed. VS Code answers `onDidChangeCodeLenses` with a
 * RunOnceScheduler whose delay is the recent time lenses took to provide (250 ms up, more when the
 * extension host is busy), and every new event restarts that delay. Events every 200 ms while a run
 * logs therefore starved the lenses for as long as the run kept logging. Here an event is fired only
 * after VS Code has asked for the lenses of the previous one (or after `stale` ms, if no editor asked),
 * so each change is shown one provide-delay later however fast the store changes.
 * That delay has no fixed bound below VS Code's cap (its minimum squared: 62.5 s): on a loaded machine
 * it was seen above 3 s, and an event repeated every 3 s then starved the lenses for a whole
 * 40-second training. So `stale` defaults to just above the cap: an unanswered event is repeated only
 * when VS Code cannot still be on its way to ask (no editor showed the lenses).
 */
export class PullThrottle {
  private dirty = false;
  private waiting = false;
  private firedAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly fire: () => void,
    private readonly o: { gap?: number; stale?: number } = {},
  ) {}

  /** Something the lenses show changed. */
  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** VS Code asked for lenses: the last event was seen. */
  pulled(): void {
    this.waiting = false;
    if (this.dirty) {
      this.clear();
      this.schedule();
    }
  }

  dispose(): void {
    this.clear();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    const gap = this.o.gap ?? 100;
    const stale = this.o.stale ?? 65_000;
    const at = this.firedAt + (this.waiting ? stale : gap);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.dirty) return;
        if (this.waiting && Date.now() < this.firedAt + stale) return this.schedule();
        this.dirty = false;
        this.waiting = true;
        this.firedAt = Date.now();
        this.fire();
      },
      Math.max(0, at - Date.now()),
    );
  }
}
