/**
 * The audit chain's verification for the dashboard. `verify()` reads every row, so the answer is kept for a minute
 * per app instance (a page view must not cost a full scan of a six-year trail); the page says when it was checked.
 * A broken chain is shown as broken, never cached away: a failure to verify at all is shown as "could not verify".
 * A broken chain is also an error line in the operational log, so the platform's alerting sees it even when no one
 * is looking at the dashboard's banner.
 */
import type { AuditTrail, ChainReport } from '../audit/audit-trail';
import type { Logger } from '../log';

export interface ChainStatus {
  state: 'intact' | 'broken' | 'unknown';
  rows: number;
  checkedAt: Date;
  firstBad?: ChainReport['firstBad'];
}

const TTL_MS = 60_000;

export class ChainStatusCache {
  private last: ChainStatus | undefined;
  private running: Promise<ChainStatus> | undefined;

  constructor(
    private readonly audit: AuditTrail,
    private readonly logger?: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async current(): Promise<ChainStatus> {
    if (this.last !== undefined && this.now().getTime() - this.last.checkedAt.getTime() < TTL_MS) {
      return this.last;
    }
    this.running ??= this.verify().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async verify(): Promise<ChainStatus> {
    const checkedAt = this.now();
    try {
      const report = await this.audit.verify();
      this.last = report.ok
        ? { state: 'intact', rows: report.rows, checkedAt }
        : { state: 'broken', rows: report.rows, checkedAt, ...(report.firstBad === undefined ? {} : { firstBad: report.firstBad }) };
      if (!report.ok) {
        this.logger?.error('audit.chain_broken', { seq: report.firstBad?.seq, problem: report.firstBad?.problem, rowsVerified: report.rows });
      }
      return this.last;
    } catch {
      this.logger?.error('audit.chain_unverifiable');
      return { state: 'unknown', rows: 0, checkedAt };
    }
  }
}
