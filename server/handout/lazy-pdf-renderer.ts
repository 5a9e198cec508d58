import type { Logger } from '../log';
import type { PdfPoolShape, PdfRenderer } from './pdf';
import { PdfRenderer as Pool } from './pdf';

/**
 * The Chromium pool, started on first use (or at boot with `warm()`), so processes that never print — most test
 * systems, the sandbox-only tools — never pay for a browser.
 */
export type PdfPoolState = 'idle' | 'starting' | 'up' | 'failed';

export class LazyPdfRenderer {
  private pool: Promise<PdfRenderer> | undefined;
  private poolState: PdfPoolState = 'idle';

  constructor(
    private readonly logger: Logger,
    private readonly shape?: PdfPoolShape,
  ) {}

  get(): Promise<PdfRenderer> {
    if (this.pool === undefined) {
      this.pool = Pool.start({ ...this.shape, logger: this.logger });
      this.poolState = 'starting';
      this.pool.then(
        () => {
          this.poolState = 'up';
        },
        () => {
          this.pool = undefined; // a failed start is retried on the next request
          this.poolState = 'failed';
        },
      );
    }
    return this.pool;
  }

  /** For readiness: idle (starts on the first print), starting, up, or failed at its last start. */
  state(): PdfPoolState {
    return this.poolState;
  }

  warm(): void {
    this.get().catch((error: unknown) => this.logger.warn('pdf.warm_failed', { error: error instanceof Error ? error.name : 'unknown' }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.poolState = 'idle';
    if (pool !== undefined) {
      await (await pool.catch(() => undefined))?.close();
    }
  }
}
