// A forked proxy instance (`bench proxy --instances N`): gets its options over IPC, reports
// its URL back, drains on SIGTERM and exits 0. Errors go back to the primary as a message.
import type { InstanceOptions } from './instance.js';
import { startInstance } from './instance.js';

process.once('message', (opts: InstanceOptions) => {
  startInstance(opts).then(
    (inst) => {
      process.send?.({ type: 'ready', url: inst.url });
      let draining = false;
      const drain = () => {
        if (draining) return;
        draining = true;
        inst.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', drain);
      // Ctrl-C reaches the whole process group: let the primary decide (it sends SIGTERM).
      process.on('SIGINT', () => {});
      // The primary died without telling us: drain rather than linger.
      process.on('disconnect', drain);
    },
    (err: unknown) => {
      process.send?.({ type: 'error', error: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
    },
  );
});
