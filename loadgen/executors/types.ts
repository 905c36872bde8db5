// What run.ts hands an executor, and what it expects back. One file per executor type
// (closed.ts, open.ts), like k6's lib/executor/.
import type { Exchange } from '../exchange.js';
import type { Recorder } from '../recorder.js';
import type { CompiledTemplate } from '../template.js';

export interface ExecutorContext {
  targets: URL[];
  rec: Recorder;
  pick: () => CompiledTemplate;
  idHeader: boolean;
  requestTimeoutMs: number;
  /** performance.now() ms when statistics start (end of warm-up) */
  measureFrom: number;
  /** performance.now() ms when sending stops */
  endAt: number;
  nextSeq(): number;
}

export interface Executor {
  start(t0: number): void;
  /** Stops sending; in-flight requests may finish. */
  stop(): void;
  /** Every exchange that may be busy (for the timeout sweep and the end-of-run cut). */
  exchanges(): readonly Exchange[];
  /** Resolves when nothing is in flight any more. */
  idle(): Promise<void>;
  close(): Promise<void>;
}
