// The fake upstream's public types. Other parts (proxy tests, loadgen, runner) code against
// these: change them only together with the contract in the brief / DESIGN.md.

export type LatencyModel =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stddev: number }
  | { kind: 'lognormal'; median: number; p99: number };

export interface FaultSpec {
  /** fraction of requests answered with that status, e.g. { 429: 0.01, 500: 0.05, 503: 0 } */
  errorRates?: Partial<Record<429 | 500 | 503, number>>;
  /** never answers (until the client goes away or the server closes) */
  hangRate?: number;
  /** destroys the socket */
  resetRate?: number;
  /** every-nth: rate 0.05 → every 20th request, deterministic */
  mode?: 'random' | 'every-nth';
  seed?: number;
}

export interface UpstreamOptions {
  host: string;
  port: number;
  latency: LatencyModel;
  stream: { ttft: LatencyModel; interTokenMs: number };
  completionTokens: number;
  faults: FaultSpec;
  /** ledger entries kept (ring buffer); 0 = off */
  ledgerCapacity: number;
  /** bodies beyond this get 413 */
  bodyLimitBytes: number;
  /** requests served at once (each for its latency); more wait in line. 0 = no limit */
  concurrency: number;
}

export interface SinkCount {
  requests: number;
  items: number;
  bytes: number;
}

export interface UpstreamStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  sinks: { gcs: SinkCount; langsmith: SinkCount; webhook: SinkCount };
  /** items per sink and tenant (the GCS bucket, the LangSmith API key, the webhook's ?tenant=):
   *  gateways running side by side on one upstream are told apart (interleaved variants) */
  sinks_by_tenant?: Record<string, { gcs: number; langsmith: number; webhook: number }>;
  ledger: { size: number; dropped: number; capacity: number };
}

export interface LedgerEntry {
  seq: number;
  /** uuid at the start of the first user message, else x-request-id, else null */
  id: string | null;
  route: string;
  /** HTTP status, or 0 for a reset socket */
  status: number;
  /** wall-clock µs (performance.timeOrigin + performance.now), comparable across processes */
  arrived_us: number;
  left_us: number;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  next: number;
  dropped: number;
}

export interface StartedUpstream {
  url: string;
  port: number;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

export const DEFAULT_OPTIONS: UpstreamOptions = {
  host: '127.0.0.1',
  port: 0,
  latency: { kind: 'fixed', ms: 0 },
  stream: { ttft: { kind: 'fixed', ms: 0 }, interTokenMs: 0 },
  completionTokens: 16,
  faults: {},
  ledgerCapacity: 1_000_000,
  bodyLimitBytes: 4 * 1024 * 1024,
  concurrency: 0,
};
