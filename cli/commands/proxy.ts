import type { Command } from 'commander';
import type { ProxyFlags } from '../../proxy/command.js';

export function register(program: Command): void {
  program
    .command('proxy')
    .description('Run the reference gateway (LiteLLM-style config; OpenAI-compatible routes; N processes on N ports)')
    .requiredOption('--config <file.yaml>', 'LiteLLM-style config (model_list, router_settings, litellm_settings, general_settings)')
    .option('--port <n>', 'port of the first instance (instance i listens on port+i; 0 = free ports)', '4000')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--instances <n>', 'OS processes, each on its own port', '1')
    .option('--connections <n>', 'keep-alive connections per upstream origin (default 256)')
    // Imported when run: a proxy instance loads only what it serves with.
    .action(async (flags: ProxyFlags) => (await import('../../proxy/command.js')).runProxyCommand(flags));
}
