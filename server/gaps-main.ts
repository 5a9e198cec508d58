/**
 * Entry point of `npm run gaps` (`server/cli/gaps.ts`): here rather than in `cli/` because, with the sandbox on, the
 * command starts the sandbox EHR, which only the boot layer may load.
 */
import { startStandaloneSandbox } from './boot';
import { runGapsCli } from './cli/gaps';

void runGapsCli(process.argv.slice(2), process.env, undefined, { startSandbox: startStandaloneSandbox }).then((code) => {
  process.exitCode = code;
});
