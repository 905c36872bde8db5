// A live progress line on a TTY (stderr); nothing when stderr is not a TTY. It only
// subscribes to the run's 'second' events: the hot path knows nothing of it.
import type { SecondSample } from '../lib/result.js';

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

export interface ProgressSource {
  on(event: 'second', cb: (s: SecondSample, totals: { requests: number; failures: number; p50_ms: number; p99_ms: number }) => void): unknown;
  on(event: 'done', cb: () => void): unknown;
}

export function attachProgress(run: ProgressSource, durationS: number, stream: NodeJS.WriteStream = process.stderr): void {
  if (!stream.isTTY) return;
  run.on('second', (s, tot) => {
    const line =
      `users ${s.users}  in-flight ${s.in_flight}  rps ${s.requests}  ` +
      `p50 ${fmt(tot.p50_ms)} ms  p99 ${fmt(tot.p99_ms)} ms  reqs ${tot.requests}  fails ${tot.failures}  ` +
      `${s.t}s / ${Math.round(durationS)}s`;
    stream.write(`\r\x1b[2K${line}`);
  });
  run.on('done', () => stream.write('\r\x1b[2K'));
}
