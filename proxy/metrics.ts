// Prometheus metrics, one prom-client Registry per proxy (several proxies can live in a
// test process). prom-client hashes and validates the label object on every observe(),
// which measured as a visible share of a request's CPU, so the per-request series here are
// plain counters in arrays, handed to the registry as custom metrics read at scrape time.
// Labels are bounded: `model` is a configured model group or "other" (a client's typo
// never becomes a series), `status` is the HTTP status the proxy sent; never a key.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

const BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

class LocalHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

interface Series {
  labels: Record<string, string>;
  h: LocalHistogram;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A histogram family in the shape prom-client's Registry formats (name, help, type, get()). */
class HistogramFamily {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly series: Series[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: number[],
  ) {}

  add(labels: Record<string, string>): LocalHistogram {
    const h = new LocalHistogram(this.bounds);
    this.series.push({ labels, h });
    return h;
  }

  get() {
    const values: MetricValue[] = [];
    for (const { labels, h } of this.series) {
      let cum = 0;
      for (let i = 0; i < h.bounds.length; i++) {
        cum += h.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: h.bounds[i] }, value: cum });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: h.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** proxy_requests_total, read from the latency histograms' counts. */
class RequestCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name = 'proxy_requests_total';
  readonly help = 'Proxied requests by model group and status';
  constructor(private readonly latency: HistogramFamily) {}
  get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.latency.series.map((s) => ({ labels: s.labels, value: s.h.count })) };
  }
}

interface ModelSeries {
  overhead: LocalHistogram;
  upstream: LocalHistogram;
  byStatus: Map<number, LocalHistogram>;
}

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly latency = new HistogramFamily('proxy_request_duration_seconds', 'Time from the first byte of the request to the last byte of the response', BUCKETS_S);
  private readonly overhead = new HistogramFamily('proxy_overhead_duration_seconds', 'Time the proxy held a request minus the time it waited on the upstream', OVERHEAD_BUCKETS_S);
  private readonly upstream = new HistogramFamily('proxy_upstream_duration_seconds', 'Time spent waiting on upstream deployments', BUCKETS_S);
  private readonly models = new Map<string, ModelSeries>();

  /** `inFlight` is read at scrape time (no per-request gauge updates). */
  constructor(inFlight: () => number) {
    for (const m of [new RequestCounter(this.latency), this.latency, this.overhead, this.upstream]) {
      this.registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
    }
    new Gauge({
      name: 'proxy_in_flight_requests',
      help: 'Requests being proxied now',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    // prom-client samples event-loop delay with a 10 ms timer by default: 100 wake-ups a second
    // that an idle gateway pays for (measured: ~2% of a core here, idle). Once a second is enough.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  /** `model` must already be bounded (a configured group or "other"). */
  record(model: string, status: number, durationMs: number, overheadMs: number, upstreamMs: number): void {
    let m = this.models.get(model);
    if (m === undefined) {
      m = { overhead: this.overhead.add({ model }), upstream: this.upstream.add({ model }), byStatus: new Map() };
      this.models.set(model, m);
    }
    let h = m.byStatus.get(status);
    if (h === undefined) {
      h = this.latency.add({ model, status: String(status) });
      m.byStatus.set(status, h);
    }
    h.observe(durationMs / 1000);
    m.overhead.observe(overheadMs / 1000);
    if (upstreamMs > 0) m.upstream.observe(upstreamMs / 1000);
  }
}
