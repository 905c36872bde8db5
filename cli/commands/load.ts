import type { Command } from 'commander';
import type { ShardLoadFlags } from '../../shard/load.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('load')
    .description('Drive HTTP load at a URL (closed users as Locust, or an open arrival rate as wrk2) and print exact latency percentiles')
    .argument('<url>', 'target URL; its path is the request path; comma-separate several targets to spread the load')
    .option('--users <n>', 'closed model: concurrent users, one keep-alive connection each (default 10)')
    .option('--spawn-rate <r>', 'closed model: users started per second (default: all at once)')
    .option('--wait <s>', 'closed model: wait after each request: MIN-MAX seconds (0.5-1), SECONDS, pacing:S or throughput:R (default 0)')
    .option('--rate <r>', 'open model: requests per second, evenly spaced; latency from the intended send time')
    .option('--connections <n>', 'open model: connections per target (default 100)')
    .option('--max-in-flight <n>', 'open model: drop (and count) sends beyond this many outstanding (default 10000)')
    .option('--duration <d>', 'measured duration', '30s')
    .option('--warmup <d>', 'warm-up before the measured duration, excluded from statistics')
    .option('--method <m>', 'HTTP method (default GET, or POST with a body)')
    .option('--path <p>', 'request path (default: the URL\'s path)')
    .option('--body <file>', 'request body file (JSON, or raw text); placeholders {{uuid}} {{seq}} {{env.NAME}} {{repeat N "text"}}')
    .option('--header <h>', "request header 'Name: value' (repeatable)", collect, [])
    .option('--seed-body', "send the seed's request (LiteLLM benchmark page: POST /chat/completions, ~11 KB prompt starting with a uuid)")
    .option('--stream', 'read responses as SSE: time to first token, inter-token latency, usage tokens')
    .option('--record-header <name>', 'record a response header (ms) as a histogram (repeatable), e.g. x-litellm-overhead-duration-ms', collect, [])
    .option('--overhead-header <name>', 'which recorded header is the gateway overhead (default x-litellm-overhead-duration-ms)')
    .option('--timeout <d>', 'per-request timeout', '30s')
    .option('--error-log <file>', 'write the first failing responses (bounded) to this file')
    .option('--workers <n>', 'worker threads sharing the load, for rates beyond one core (default 1); histograms merge exactly')
    .option('--no-request-id', 'do not send x-request-id')
    .option('--json', 'print the result JSON alone on stdout (the table is not printed)')
    .option('--shard <i/n>', 'run share I (0-based) of N of the load, for bench merge (default: JOB_COMPLETION_INDEX with GATEBENCH_SHARDS)')
    .option('--start-at <instant>', 'wait for this ISO-8601 instant (e.g. 2026-12-03T19:30:00Z; default GATEBENCH_START_AT) before starting')
    .option('--scenario <file>', "drive this scenario's load (users, wait, rate, stages, requests, thresholds) at <url>")
    .option('--out <dir>', 'write the result JSON to DIR (shard-I-of-N.json when sharded, else result.json)')
    .addHelpText(
      'after',
      '\nCurrent RPS is the mean of the last 10 complete seconds (Locust\'s definition); RPS is the whole measured run.\n' +
        'Latency percentiles are exact HDR values (µs precision), failures excluded; the Aggregated row counts requests only.',
    )
    // imported when run: `bench --help` and other commands need not load undici and HDR
    .action(async (url: string, flags: ShardLoadFlags, cmd: Command) => {
      // a shard, a scenario or a result file: shard/load.ts (which loads the scenario reader)
      const sharded = flags.shard ?? flags.startAt ?? flags.scenario ?? flags.out ?? (process.env.JOB_COMPLETION_INDEX || undefined);
      if (sharded === undefined) return (await import('../../loadgen/command.js')).loadCommand(url, flags);
      const shard = await import('../../shard/load.js');
      const cli = (name: string) => cmd.getOptionValueSource(name) === 'cli';
      return shard.shardLoadCommand(url, flags, { duration: cli('duration'), warmup: cli('warmup'), timeout: cli('timeout') });
    });
}
