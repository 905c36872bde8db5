// One worker thread of a WorkerRun (workers.ts): runs its share of the load as an ordinary
// single-thread Run and sends back per-second samples and, at the end, everything it
// recorded with the histograms encoded (structured clone carries strings and typed arrays,
// not Histogram objects). Started by `new Worker(this file, { workerData: share })`.
import { parentPort, workerData } from 'node:worker_threads';
import { encode } from './aggregate.js';
import type { ResolvedLoadOptions } from './config.js';
import { startLocalLoad } from './run.js';
import type { RecordedWire, WorkerMessage } from './workers.js';

const port = parentPort!;
const share = workerData as ResolvedLoadOptions;
const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let stopAsked = false;
let run: ReturnType<typeof startLocalLoad> | null = null;
port.on('message', (m: { type: 'go'; startAt: number } | { type: 'stop' }) => {
  if (m.type === 'stop') {
    stopAsked = true;
    run?.stop();
  } else if (m.type === 'go') {
    const wait = m.startAt - (performance.timeOrigin + performance.now());
    setTimeout(start, Math.max(0, wait));
  }
});
send({ type: 'ready' });

function start(): void {
  const r = (run = startLocalLoad(share));
  r.on('second', (s, _totals, hist) => send({ type: 'second', s, hist: hist! }));
  if (stopAsked) r.stop();
  r.result.then(
    () => {
      const rec = r.recorded()!;
      const t = r.requestTimes();
      const times = t ? { ids: t.ids, sentUs: t.sentUs.slice(0, t.count), receivedUs: t.receivedUs.slice(0, t.count), headerUs: t.headerUs ? t.headerUs.slice(0, t.count) : null, overflow: t.overflow } : null;
      const wire: RecordedWire = {
        ...rec,
        latency: encode(rec.latency),
        latencyUncorrected: rec.latencyUncorrected ? encode(rec.latencyUncorrected) : null,
        ttfb: encode(rec.ttfb),
        ttft: encode(rec.ttft),
        itl: encode(rec.itl),
        headers: rec.headers.map(encode),
        byName: rec.byName.map((b) => ({ latency: encode(b.latency), requests: b.requests, failures: b.failures })),
        errors: [...r.errorEntries()],
        times,
      };
      const transfer = times ? [times.sentUs.buffer as ArrayBuffer, times.receivedUs.buffer as ArrayBuffer] : [];
      if (times?.headerUs) transfer.push(times.headerUs.buffer as ArrayBuffer);
      send({ type: 'done', wire }, transfer);
    },
    (err: Error) => send({ type: 'error', message: err.message }),
  );
}
