// The generator watches itself: its own CPU (process.cpuUsage), event-loop delay
// (perf_hooks.monitorEventLoopDelay) and peak RSS over the measured window, so a result
// can say when the generator, not the target, was the bottleneck.
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { LoadgenSelf } from '../lib/result.js';

export class SelfMonitor {
  private cpu0: NodeJS.CpuUsage | null = null;
  private wall0 = 0;
  private readonly eld: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private peakRss = 0;
  private elu0: EventLoopUtilization | null = null;
  /** share of the window this thread's event loop was busy (0–1), set by end(). Per thread:
   *  process.cpuUsage() counts every thread of the process, so a worker thread judges itself by this */
  utilization = 0;

  begin(): void {
    this.cpu0 = process.cpuUsage();
    this.wall0 = performance.now();
    this.elu0 = performance.eventLoopUtilization();
    this.eld.reset();
    this.eld.enable();
    this.sampleRss();
  }

  sampleRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  end(): LoadgenSelf {
    this.eld.disable();
    this.sampleRss();
    if (this.elu0 !== null) this.utilization = performance.eventLoopUtilization(this.elu0).utilization;
    if (this.cpu0 === null) return { cpu_percent: 0, event_loop_delay_p99_ms: 0, rss_mb: Math.round(this.peakRss / 1048576) };
    const cpu = process.cpuUsage(this.cpu0);
    const wallUs = (performance.now() - this.wall0) * 1000;
    const p99 = this.eld.count > 0 ? this.eld.percentile(99) / 1e6 : 0;
    return {
      cpu_percent: wallUs > 0 ? Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10 : 0,
      cpu_us: cpu.user + cpu.system,
      // the monitor's own resolution (10 ms timer) is subtracted, as Node's docs suggest
      event_loop_delay_p99_ms: Math.max(0, Math.round((p99 - 10) * 100) / 100),
      rss_mb: Math.round(this.peakRss / 1048576),
    };
  }
}
