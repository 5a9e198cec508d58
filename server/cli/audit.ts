/**
 * `npm run audit -- verify`                                      recompute the chain; exit 0 intact, 3 broken
 * `npm run audit -- export --from YYYY-MM-DD --to YYYY-MM-DD --out <file.ndjson>`   FHIR AuditEvents, one per line
 *
 * Reads the store the app uses: `DATABASE_URL` when set, else the embedded PGlite store under `DATA_DIR` (default
 * `.data`). Every exported AuditEvent is validated against the FHIR R4 structure (Medplum's validator) before the
 * file is written; `--to` is exclusive. Errors are one line that says what to fix, never a stack trace: exit 2 for
 * bad arguments or a missing store, 1 for anything else.
 */
import fs from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import { auditEventOf } from '../audit/audit-event-resource';
import { AuditTrail } from '../audit/audit-trail';
import { badRequest } from '../errors';
import type { Db } from '../store/db';
import { loadStructureDefinitions } from '../../fhir-resources/fhir-definitions';
import type { CliStreams } from './cli-store';
import { PROCESS_STREAMS, openStore, parseFlags as parseFlagPairs, reportCliError } from './cli-store';

export type { CliStreams } from './cli-store';

const USAGE = 'usage: audit verify | audit export --from YYYY-MM-DD --to YYYY-MM-DD --out <file.ndjson>';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PAGE = 1000;
/** verify's exit code for a chain that does not verify (distinct from a usage error). */
export const EXIT_BROKEN = 3;

function dateArg(args: Map<string, string>, name: string): Date {
  const value = args.get(name);
  if (value === undefined || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw badRequest(`--${name} must be a date as YYYY-MM-DD (got ${value === undefined ? 'nothing' : JSON.stringify(value.slice(0, 40))}).`);
  }
  return new Date(`${value}T00:00:00Z`);
}

const parseFlags = (argv: readonly string[]): Map<string, string> => parseFlagPairs(argv, USAGE);

async function verify(trail: AuditTrail, streams: CliStreams): Promise<number> {
  const report = await trail.verify();
  if (report.ok) {
    streams.out(`audit chain intact: ${report.rows} rows, head ${report.head.seq} ${report.head.hash}\n`);
    return 0;
  }
  streams.out(`audit chain BROKEN at row ${report.firstBad?.seq ?? '?'} (${report.firstBad?.problem ?? '?'}); ${report.rows} rows verified before it\n`);
  return EXIT_BROKEN;
}

async function exportEvents(trail: AuditTrail, argv: readonly string[], streams: CliStreams): Promise<number> {
  const flags = parseFlags(argv);
  const range = { from: dateArg(flags, 'from'), to: dateArg(flags, 'to') };
  const out = flags.get('out');
  if (out === undefined) {
    throw badRequest(USAGE);
  }
  if (range.to <= range.from) {
    throw badRequest('--to must be after --from (it is exclusive).');
  }
  const { validateResource } = await import('@medplum/core');
  loadStructureDefinitions(['AuditEvent']);
  const lines: string[] = [];
  for (let after = 0; ;) {
    const rows = await trail.rows(after, PAGE, range);
    for (const row of rows) {
      const event = auditEventOf(row);
      validateResource(event as unknown as Resource);
      lines.push(JSON.stringify(event));
    }
    if (rows.length < PAGE) {
      break;
    }
    after = rows.at(-1)?.seq ?? after;
  }
  fs.writeFileSync(out, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  streams.out(`wrote ${lines.length} AuditEvent resources to ${out}\n`);
  return 0;
}

export async function runAuditCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = PROCESS_STREAMS): Promise<number> {
  let db: Db | undefined;
  try {
    const [command, ...rest] = argv;
    if (command !== 'verify' && command !== 'export') {
      throw badRequest(USAGE);
    }
    db = await openStore(env);
    const trail = new AuditTrail(db);
    return command === 'verify' ? await verify(trail, streams) : await exportEvents(trail, rest, streams);
  } catch (error) {
    return reportCliError('audit', error, streams);
  } finally {
    await db?.close();
  }
}

if (require.main === module) {
  void runAuditCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

