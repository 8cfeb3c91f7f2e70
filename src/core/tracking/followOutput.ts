import * as fs from 'node:fs';

/**
 * Follow a growing file (a run's output.log written on another machine): `onChunk` gets each new
 * piece from `fromOffset` on, read every `intervalMs`. `stop()` reads what is left first.
 */
export function followOutput(
  file: string,
  onChunk: (chunk: Buffer) => void,
  options: { intervalMs?: number; fromOffset?: number } = {},
): { stop(): void } {
  let offset = options.fromOffset ?? 0;
  const read = () => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < offset) offset = 0;
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        onChunk(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(read, options.intervalMs ?? 250);
  return {
    stop() {
      clearInterval(timer);
      read();
    },
  };
}
