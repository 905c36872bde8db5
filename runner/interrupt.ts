// Ctrl-C (and SIGTERM) for a run: the first stops the load and lets the run tear everything
// down and write what it has; a second is the last resort — every tracked process group is
// killed synchronously and the process exits with the interrupted code.
import { EXIT_INTERRUPTED } from '../lib/exit-codes.js';
import type { Registry } from './services/registry.js';

export interface Interrupts {
  readonly signal: AbortSignal;
  interrupted(): boolean;
  /** stops listening for the signals */
  dispose(): void;
}

export function handleInterrupts(registry: Registry, log: (m: string) => void, what: string, listen: boolean): Interrupts {
  const ac = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      registry.killSync();
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    log(`interrupted: stopping ${what} and tearing everything down (Ctrl-C again to kill now)`);
    ac.abort();
  };
  if (listen) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    signal: ac.signal,
    interrupted: () => interrupted,
    dispose() {
      if (!listen) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
