/**
 * `npm run gaps -- --tenant <id> --from YYYY-MM-DD --to YYYY-MM-DD [--out <file.csv>]`
 *
 * The documentation-gap report (`server/gap-report/gap-report.ts`): pump procedures done or scheduled from `--from`
 * up to (not including) `--to` with no ITDD discussion note on file before them. Prints each gap on screen and, with
 * `--out`, writes them as CSV. `--tenant` defaults to the only tenant with backend services, when there is one.
 *
 * Reads the chart over SMART Backend Services as the app (its signing key from `APP_PRIVATE_JWK`, else the sandbox's
 * generated one in `DATA_DIR`). With the sandbox on, the command runs the sandbox EHR itself (`server/gaps-main.ts`):
 * stop the app first, since the embedded store (PGlite) and the sandbox serve one process. Opens the app's store (`DATABASE_URL`, else PGlite under `DATA_DIR`) for the
 * write ledger and the `gaps.reported` audit row. Errors are one line: exit 2 for bad arguments or a missing store,
 * 1 for an unreachable or refusing EHR.
 */
import fs from 'node:fs';
import { AuditTrail } from '../audit/audit-trail';
import { loadConfig } from '../config';
import type { AppConfig } from '../config';
import { badRequest } from '../errors';
import { buildGapReport } from '../gap-report/gap-report';
import type { GapReport } from '../gap-report/gap-report';
import { gapCsv } from '../gap-report/gap-csv';
import { appSigningKeyFor } from '../launch/app-keys';
import type { CliStreams } from './cli-support';
import { dateArg, parseFlags, PROCESS_STREAMS, runWithStore } from './cli-support';

const USAGE = 'usage: gaps --tenant <id> --from YYYY-MM-DD --to YYYY-MM-DD [--out <file.csv>]   (--to is exclusive)';

function configOf(env: NodeJS.ProcessEnv): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    throw badRequest(`The app's configuration is not valid: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 200) ?? ''}`);
  }
}

function tenantIdOf(flags: Map<string, string>, config: AppConfig): string {
  const given = flags.get('tenant');
  if (given !== undefined) {
    return given;
  }
  const withBackend = config.tenants.filter((t) => t.backend !== undefined);
  if (withBackend.length === 1 && withBackend[0] !== undefined) {
    return withBackend[0].id;
  }
  throw badRequest(`--tenant is needed (EHRs with backend services: ${withBackend.map((t) => t.id).join(', ') || 'none'}).`);
}

function printReport(report: GapReport, streams: CliStreams): void {
  streams.out(`documentation gaps for ${report.tenantId}, procedures from ${report.from} up to ${report.to}: ${report.gaps.length} gaps, ${report.documented.length} documented\n`);
  for (const gap of report.gaps) {
    const p = gap.procedure;
    streams.out(`  ${p.date.slice(0, 10)}  Patient/${gap.patientId}  ${p.code} ${p.kind} (${p.state}, ${p.status})  ${gap.reasonText}\n`);
  }
  if (report.notCovered.length > 0) {
    streams.out(`not covered (no verified code): ${report.notCovered.join(', ')}\n`);
  }
}

/** The sandbox EHR started for this command (`startStandaloneSandbox` in `server/boot.ts`). */
export interface CommandSandbox {
  config: AppConfig;
  close(): Promise<void>;
}

export interface GapsCliDeps {
  /** Runs the sandbox EHR in this process when the configuration has the sandbox on (the app must be stopped). */
  startSandbox?: (env: NodeJS.ProcessEnv) => Promise<CommandSandbox>;
}

export async function runGapsCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  streams: CliStreams = PROCESS_STREAMS,
  deps: GapsCliDeps = {},
): Promise<number> {
  let sandbox: CommandSandbox | undefined;
  const code = await runWithStore('gaps', env, streams, async (open) => {
    const flags = parseFlags(argv, USAGE);
    const unknown = [...flags.keys()].filter((k) => !['tenant', 'from', 'to', 'out'].includes(k));
    if (unknown.length > 0) {
      throw badRequest(USAGE);
    }
    const from = dateArg(flags, 'from').toISOString().slice(0, 10);
    const to = dateArg(flags, 'to').toISOString().slice(0, 10);
    if (to <= from) {
      throw badRequest('--to must be after --from (it is exclusive).');
    }
    let config = configOf(env);
    if (config.sandbox.enabled && deps.startSandbox !== undefined) {
      sandbox = await deps.startSandbox(env);
      config = sandbox.config;
    }
    const tenantId = tenantIdOf(flags, config);
    const db = await open();
    const report = await buildGapReport({ tenantId, from, to }, { config, signingKey: appSigningKeyFor(config), db, audit: new AuditTrail(db) });
    printReport(report, streams);
    const out = flags.get('out');
    if (out !== undefined) {
      fs.writeFileSync(out, gapCsv(report));
      streams.out(`wrote ${report.gaps.length} gaps to ${out}\n`);
    }
    return 0;
  });
  await sandbox?.close();
  return code;
}
