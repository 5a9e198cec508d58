/**
 * `npm run content -- list`        every content-pack version (loaded now or archived) and its approval state
 * `npm run content -- approve --pack <id> --version <v> [--language <l>] --reviewer "<name, credentials>"`
 *                                  a named clinical reviewer's approval of a version in the content folder
 * `npm run content -- approve-sandbox --reviewer "<name, credentials>"`
 *                                  the sandbox only: approves every loaded version not yet approved, in one go
 *
 * Reads the content folder the app reads (`CONTENT_DIR`, else `content/`) and the store the app uses (`DATABASE_URL`,
 * else the embedded PGlite store under `DATA_DIR`; stop the sandbox app first: the embedded store has one user at a
 * time). Approval is of the file's content hash, recorded with a `content.approved` audit row in one transaction
 * (`server/content/content-approvals.ts`); the running app sees it at its next print. Errors are one line: exit 2 for
 * bad arguments or a missing store, 1 for anything else (an approval already recorded, an unreachable store).
 */
import path from 'node:path';
import { AuditTrail } from '../audit/audit-trail';
import type { ContentVersionStatus } from '../content/content-approvals';
import { ContentApprovals } from '../content/content-approvals';
import { useContentDir } from '../content/content-packs';
import { badRequest } from '../errors';
import { projectRoot } from '../project-root';
import type { Db } from '../store/db';
import { openDb } from '../store/db';
import type { CliStreams } from './cli-support';
import { PROCESS_STREAMS, openStore, parseFlags, reportCliError } from './cli-support';

const USAGE = 'usage: content list | content approve --pack <id> --version <x.y.z> [--language <xx>] --reviewer "<name, credentials>" | content approve-sandbox --reviewer "<name, credentials>"';
/** Who records an approval made from this command (the reviewer is named separately). */
const CLI_APPROVER = 'cli';

/** `itdd-pump-handout.en 2.0.0`: how a version is named to the user (the pack id, its language, its version). */
export function versionName(status: Pick<ContentVersionStatus, 'packId' | 'language' | 'version'>): string {
  return `${status.packId}${status.language === '' ? '' : `.${status.language}`} ${status.version}`;
}

function stateText(status: ContentVersionStatus): string {
  switch (status.state) {
    case 'approved':
      return `approved by ${status.approval?.reviewer ?? '?'} on ${status.approval?.approvedAt.slice(0, 10) ?? '?'} (recorded by ${status.approval?.approvedBy ?? '?'})`;
    case 'changed':
      return `CHANGED since approved by ${status.approvedEarlier?.reviewer ?? '?'} on ${status.approvedEarlier?.approvedAt.slice(0, 10) ?? '?'}: a draft until approved again`;
    case 'draft':
      return 'draft';
  }
}

export function statusLine(status: ContentVersionStatus): string {
  const where = status.loaded ? 'loaded  ' : 'archived';
  return `${status.kind.padEnd(9)} ${versionName(status).padEnd(34)} ${where} ${status.contentHash.slice(0, 12)}  ${stateText(status)}`;
}

async function list(content: ContentApprovals, streams: CliStreams): Promise<number> {
  for (const status of await content.list()) {
    streams.out(`${statusLine(status)}\n`);
  }
  return 0;
}

function reviewerOf(flags: Map<string, string>): string {
  const reviewer = flags.get('reviewer');
  if (reviewer === undefined) {
    throw badRequest('--reviewer "<name, credentials>" is required: the clinical reviewer who approves the content.');
  }
  return reviewer;
}

async function approve(content: ContentApprovals, flags: Map<string, string>, streams: CliStreams): Promise<number> {
  const packId = flags.get('pack');
  const version = flags.get('version');
  if (packId === undefined || version === undefined) {
    throw badRequest(USAGE);
  }
  const language = flags.get('language');
  const approved = await content.approve({ packId, version, reviewer: reviewerOf(flags), approvedBy: CLI_APPROVER, ...(language === undefined ? {} : { language }) });
  streams.out(`approved ${versionName(approved)} (${approved.kind}, sha256 ${approved.contentHash}) by ${approved.approval?.reviewer ?? ''}\n`);
  return 0;
}

async function approveSandbox(content: ContentApprovals, flags: Map<string, string>, env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  if (env.ITDD_ENV === 'production') {
    throw badRequest('approve-sandbox is for the sandbox: in production, approve each version with `content approve`.');
  }
  const reviewer = reviewerOf(flags);
  const pending = (await content.list()).filter((s) => s.loaded && s.state !== 'approved');
  for (const status of pending) {
    const approved = await content.approve({ packId: status.packId, version: status.version, language: status.language, reviewer, approvedBy: CLI_APPROVER, allowUnresolvedCitations: true });
    streams.out(`approved ${versionName(approved)} (${approved.kind}, sha256 ${approved.contentHash.slice(0, 12)})\n`);
    if (approved.unresolvedCitations !== undefined) {
      streams.out(`  note: ${approved.unresolvedCitations.length} citations have no DOI, PMID or official address (${approved.unresolvedCitations.join(', ')}); \`content approve\` refuses this version until they are completed\n`);
    }
  }
  streams.out(pending.length === 0 ? 'every loaded content version is approved already\n' : `${pending.length} content versions approved by ${reviewer.trim()}\n`);
  return 0;
}

/** The sandbox's one-command approval may be its first use of the embedded store: it creates it, as `npm start` does. */
async function storeFor(command: string, env: NodeJS.ProcessEnv): Promise<Db> {
  const embedded = env.DATABASE_URL === undefined || env.DATABASE_URL === '';
  if (command === 'approve-sandbox' && embedded && env.ITDD_ENV !== 'production') {
    return openDb({ dataDir: path.join(path.resolve(projectRoot(), env.DATA_DIR ?? '.data'), 'pglite') });
  }
  return openStore(env);
}

export async function runContentCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, streams: CliStreams = PROCESS_STREAMS): Promise<number> {
  let db: Db | undefined;
  try {
    const [command, ...rest] = argv;
    if (command !== 'list' && command !== 'approve' && command !== 'approve-sandbox') {
      throw badRequest(USAGE);
    }
    const flags = parseFlags(rest, USAGE);
    useContentDir(env.CONTENT_DIR === undefined || env.CONTENT_DIR === '' ? undefined : path.resolve(projectRoot(), env.CONTENT_DIR));
    db = await storeFor(command, env);
    const content = new ContentApprovals({ db, audit: new AuditTrail(db) });
    if (command === 'list') {
      return await list(content, streams);
    }
    return command === 'approve' ? await approve(content, flags, streams) : await approveSandbox(content, flags, env, streams);
  } catch (error) {
    return reportCliError('content', error, streams);
  } finally {
    await db?.close();
  }
}

if (require.main === module) {
  void runContentCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
