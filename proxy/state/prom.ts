// Exposes State.metrics() on a prom-client registry as gauges named gatebench_state_<name>,
// read at scrape time (nothing is updated on the request path).
import client from 'prom-client';

export function registerPromMetrics(metrics: () => Record<string, number>, registry: client.Registry = client.register): void {
  let snap: Record<string, number> = metrics();
  let at = 0;
  const read = () => {
    const now = Date.now();
    if (now - at > 100) ((snap = metrics()), (at = now));
    return snap;
  };
  for (const name of Object.keys(snap)) {
    const metricName = `gatebench_state_${name}`;
    if (registry.getSingleMetric(metricName)) continue;
    new client.Gauge({
      name: metricName,
      help: `gatebench proxy state: ${name.replace(/_/g, ' ')}`,
      registers: [registry],
      collect() {
        this.set(read()[name] ?? 0);
      },
    });
  }
}
