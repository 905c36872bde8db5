import type { Command } from 'commander';
import type { BaselineUpdateOptions } from '../../gate/command.js';

export function registerBaseline(program: Command): void {
  const baseline = program.command('baseline').description('manage committed gate baselines (reports/baselines/)');
  baseline
    .command('update')
    .description('run trials of this build and write reports/baselines/<name>.json')
    .argument('<scenario>', 'scenario file the trials run')
    .option('--trials <n>', 'number of trials (default 10)')
    .option('--duration <d>', 'per-trial bench run --duration, e.g. 5s')
    .option('--name <name>', 'baseline name (default: the scenario file name)')
    .option('--dir <dir>', 'where baselines live (default reports/baselines)')
    .option('--from <files...>', 'build the baseline from existing result/trials files instead of running')
    .action(async (scenario: string, opts: BaselineUpdateOptions) => {
      await (await import('../../gate/command.js')).baselineUpdateCommand(scenario, opts);
    });
}

/** The name cli/commands/index.ts imports every command by. */
export const register = registerBaseline;
