import type { Command } from 'commander';
import type { GateCommandOptions } from '../../gate/command.js';

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('statistical performance gate: candidate trials vs a baseline; exit 99 on a significant regression')
    .argument('[candidates...]', 'candidate result/trials files (gatebench/result@1 or gatebench/trials@1)')
    .option('--baseline <file>', 'baseline file (reports/baselines/<name>.json), or any result/trials file')
    .option('--scenario <file>', 'run candidate trials now with this scenario instead of reading files')
    .option('--base-dir <dir>', 'with --scenario: a built checkout of the base; trials interleave base and head')
    .option('--head-dir <dir>', 'with --scenario: the built checkout of the candidate (default: this one)')
    .option('--trials <n>', 'trials a side when running them (default 8)')
    .option('--duration <d>', 'per-trial bench run --duration, e.g. 5s')
    .option('--budget <d>', 'wall time for all the trials, e.g. 170s: no round starts that would end past it (at least 3 a side run)')
    .option('--tolerance <t>', 'fail only when surely worse than this (default 10%)')
    .option('--figures <list>', 'figures to judge, comma-separated (default cpu_rel_loadgen,cpu_us_per_req,latency_p50_rel,latency_p99_rel)')
    .option('--statistic <s>', 'hl (Hodges-Lehmann, default), median or mean of each side\'s trials')
    .option('--unpaired', 'judge interleaved rounds (--base-dir, or files --save-trials wrote from it) as two independent samples, not as pairs')
    .option('--confidence <c>', 'confidence level of the interval (default 95%)')
    .option('--seed <n>', 'bootstrap seed (the verdict is reproducible for a given seed)')
    .option('--markdown <file>', 'write the Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--junit <file>', 'write JUnit XML here (one testcase per figure)')
    .option('--save-trials <dir>', 'write both sides\' trial records to this directory (interleaved rounds stay paired when gated again)')
    .option('--json', 'print the gate report as JSON on stdout (table to stderr)')
    .action(async (candidates: string[], opts: GateCommandOptions) => {
      await (await import('../../gate/command.js')).gateCommand(candidates, opts);
    });
}

/** The name cli/commands/index.ts imports every command by. */
export const register = registerGate;
