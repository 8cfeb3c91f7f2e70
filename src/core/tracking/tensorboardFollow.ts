import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImportWarning } from '../importers/common';
import { TfEventsFollower } from '../importers/tensorboard';
import { STORE_DIR_NAME } from '../store/layout';
import type { MetricPoint } from '../store/types';

const EVENT_FILE = 'events.out.tfevents.';
/** Folders never searched for event files: dependencies, caches, the store itself. */
const SKIP = new Set([
  'node_modules',
  '.git',
  STORE_DIR_NAME,
  '__pycache__',
  '.venv',
  'venv',
  'site-packages',
]);
const MAX_DEPTH = 5;

/**
 * Follows the TensorBoard event files a training process writes under its working folder
 * (PyTorch SummaryWriter, the Keras callback, tfjs's tensorBoard callback) and turns their scalars
 * into metric points of the run while it trains. Only files written since the run started count.
 *
 * Keys: the tag for the first log folder seen, `<folder name>/<tag>` for any other (Keras writes
 * `train/` and `validation/` with the same tags), fixed at first sight so keys never change mid-run.
 */
export class TensorBoardFollow {
  private readonly followers = new Map<string, { follower: TfEventsFollower; prefix: string }>();
  readonly warnings: ImportWarning[] = [];

  constructor(
    private readonly root: string,
    private readonly sinceMs: number,
    private readonly sink: (p: MetricPoint) => void,
  ) {}

  /** Reads what was appended since the last poll (and any new event folder). Returns the points added. */
  poll(): number {
    for (const dir of this.eventDirs()) {
      if (this.followers.has(dir)) continue;
      const prefix = this.followers.size === 0 ? '' : `${path.basename(dir)}/`;
      this.followers.set(dir, { follower: new TfEventsFollower(dir), prefix });
    }
    let added = 0;
    for (const { follower, prefix } of this.followers.values()) {
      for (const s of follower.poll()) {
        this.sink({ key: prefix + s.tag, value: s.value, step: s.step, time: s.wallTime });
        added++;
      }
      this.warnings.push(...follower.takeWarnings());
    }
    return added;
  }

  private eventDirs(): string[] {
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // removed while we looked: nothing to follow there
      }
      let holds = false;
      for (const e of entries) {
        if (e.isDirectory()) {
          if (depth < MAX_DEPTH && !SKIP.has(e.name)) walk(path.join(dir, e.name), depth + 1);
        } else if (!holds && e.name.startsWith(EVENT_FILE)) {
          try {
            holds = fs.statSync(path.join(dir, e.name)).mtimeMs >= this.sinceMs - 2000;
          } catch {
            // gone
          }
        }
      }
      if (holds) found.push(dir);
    };
    walk(this.root, 0);
    return found.sort();
  }
}
