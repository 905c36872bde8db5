import type { Command } from 'commander';
import type { UpstreamFlags } from '../../fake-upstream/command.js';

export function register(program: Command): void {
  program
    .command('upstream')
    .description('Run the fake OpenAI upstream (chat/SSE, embeddings, models, fake sinks, arrival/leave ledger)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--latency <model>', "delay before answering: 'fixed:50', 'uniform:10-50', 'normal:50,10', 'lognormal:50,200' (ms)")
    .option('--ttft <model>', 'streams: time to first token, same syntax as --latency')
    .option('--inter-token-ms <n>', 'streams: delay between tokens (ms)')
    .option('--completion-tokens <n>', 'tokens per completion (default 16)')
    .option('--error-rate <list>', 'fractions answered with an error status, e.g. 500=0.05,429=0.01')
    .option('--hang-rate <x>', 'fraction of requests never answered')
    .option('--reset-rate <x>', 'fraction of requests whose socket is destroyed')
    .option('--fault-mode <mode>', 'random | every-nth (rate 0.05 → every 20th request)')
    .option('--seed <n>', 'seed for random faults and latencies')
    .option('--ledger-capacity <n>', 'ledger entries kept (ring buffer; 0 = off; default 1000000)')
    .option('--body-limit <bytes>', 'request bodies over this get 413 (default 4 MiB)')
    .option('--concurrency <n>', 'requests served at once, each for its latency; more wait in line (0 = no limit)')
    .option('--config <file.yaml>', 'options from a YAML file (flags override it)')
    // Imported when run, so other commands do not pay for loading the upstream.
    .action(async (flags: UpstreamFlags) => (await import('../../fake-upstream/command.js')).runUpstreamCommand(flags));
}
