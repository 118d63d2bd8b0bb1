// A text progress bar on stderr: redrawn in place on a TTY, occasional lines otherwise.
import { formatInt } from './report.js';

export interface Progress {
  /** Adds finished units (e.g. acknowledged events). */
  add(done: number): void;
  /** Stops redrawing and ends the line. */
  finish(): void;
}

export function progressBar(label: string, total: number, unit = 'events'): Progress {
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  const width = 30;
  const started = performance.now();
  let done = 0;
  // Rate over a sliding window of recent samples, so it shows the current speed.
  const samples: { t: number; done: number }[] = [{ t: started, done: 0 }];
  let lastLine = started;

  const render = (final: boolean): string => {
    const now = performance.now();
    samples.push({ t: now, done });
    while (samples.length > 2 && now - samples[0].t > 2_000) samples.shift();
    const first = samples[0];
    const windowRate = now > first.t ? ((done - first.done) / (now - first.t)) * 1000 : 0;
    const rate = final ? (done / Math.max(now - started, 1)) * 1000 : windowRate;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const seconds = ((now - started) / 1000).toFixed(1);
    return `${label} [${bar}] ${formatInt(done)}/${formatInt(total)} ${(fraction * 100).toFixed(1)}% ` +
      `${formatInt(rate)} ${unit}/s ${seconds}s`;
  };

  const timer = setInterval(() => {
    if (tty) {
      stream.write(`\r${render(false)}\u001b[K`);
    } else if (performance.now() - lastLine >= 5_000) {
      lastLine = performance.now();
      stream.write(`${render(false)}\n`);
    }
  }, tty ? 200 : 1_000);
  timer.unref();

  return {
    add(n) {
      done += n;
    },
    finish() {
      clearInterval(timer);
      stream.write(tty ? `\r${render(true)}\u001b[K\n` : `${render(true)}\n`);
    },
  };
}
