import type { Logger } from '../log';
import type { PdfRenderer } from './pdf';
import { PdfRenderer as Pool } from './pdf';

/**
 * The Chromium pool, started on first use (or at boot with `warm()`), so processes that never print — most test
 * systems, the sandbox-only tools — never pay for two browsers.
 */
export class LazyPdfRenderer {
  private pool: Promise<PdfRenderer> | undefined;

  constructor(private readonly logger: Logger) {}

  get(): Promise<PdfRenderer> {
    if (this.pool === undefined) {
      this.pool = Pool.start({ logger: this.logger });
      this.pool.catch(() => {
        this.pool = undefined; // a failed start is retried on the next request
      });
    }
    return this.pool;
  }

  warm(): void {
    this.get().catch((error: unknown) => this.logger.warn('pdf.warm_failed', { error: error instanceof Error ? error.name : 'unknown' }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) {
      await (await pool.catch(() => undefined))?.close();
    }
  }
}
