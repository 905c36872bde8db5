// The `rig` section of a variant (lib/result.ts): where the CPU went while the variant ran —
// each component of the rig separately and the machine as a whole — so a reader can tell
// whether the figures describe the gateway or the machine it ran on.

export type RigComponentKind = 'proxy' | 'gateway' | 'generator' | 'upstream' | 'postgres' | 'redis';

/** One second of the rig (the interval ending at `t`). */
export interface RigSecond {
  /** seconds since the start of the measured window at the end of this interval; ≤ 0 = warm-up */
  t: number;
  /** busy share of all cores, % (idle and iowait are not busy; steal is) */
  busy_pct: number | null;
  /** share of the interval in which some runnable task waited for a CPU (/proc/pressure/cpu), % */
  pressure_pct: number | null;
  /** runnable tasks at the end of the interval (/proc/loadavg) */
  runnable: number | null;
  /** CPU of each component, % of one core, in the order of `components` */
  cpu_pct: (number | null)[];
}

export interface RigComponent {
  name: string;
  kind: RigComponentKind;
  /** CPU over the measured window, % of one core */
  cpu_pct: number | null;
  /** CPU µs per request answered in the measured window */
  us_per_req: number | null;
}

export interface RigMachine {
  cores: number;
  busy_p50_pct: number | null;
  busy_max_pct: number | null;
  /** CPU stolen by the hypervisor over the window, % of all cores */
  steal_pct: number | null;
  pressure_p50_pct: number | null;
  pressure_max_pct: number | null;
  runnable_p50: number | null;
  runnable_max: number | null;
  /** busy CPU not charged to any component (other processes on the machine), % of one core */
  other_pct: number | null;
}

/** The saturation rule's verdict (lib/rig/saturation.ts). */
export interface RigSaturation {
  saturated: boolean;
  /** share of the measured seconds with all cores ≥ the busy threshold */
  busy_share: number;
  /** share of the measured seconds with CPU pressure ≥ the pressure threshold */
  pressure_share: number;
  /** the thresholds the verdict used */
  thresholds: { busy_pct: number; pressure_pct: number; share: number };
  rule: string;
}

export interface RigSection {
  interval_ms: number;
  warmup_s: number;
  components: RigComponent[];
  machine: RigMachine;
  saturation: RigSaturation;
  /** warm-up seconds (t ≤ 0) included, so charts can shade them */
  series: RigSecond[];
}

/** The same load straight to the upstream, run beside a variant: the floor of the rig. */
export interface DirectBaseline {
  duration_s: number;
  requests: number;
  failures: number;
  latency_ms: { p50: number; p95: number; p99: number; mean: number };
  /** client latency − the upstream's holding time, going direct: generator, loopback and upstream I/O */
  overhead_ledger_ms: { p50: number; p95: number; p99: number; mean: number } | null;
}

/** The gateway's ledger overhead minus going direct's, percentile by percentile (BerriAI's method). */
export interface OverheadOverDirect {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}
