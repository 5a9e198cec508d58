/**
 * PDF rendering from a warm pool of hardened headless Chromium browsers (see `pdf-browser.ts` for the hardening).
 *
 * Warm: the browsers and their pages are opened at start, so a render is just `setContent` + `pdf`. Bounded: a
 * render holds one page; when all are busy callers queue, and past `maxQueue` waiting they get `too_many_requests`
 * at once rather than a slow answer. Deadlined: each render (queue wait included) has `renderTimeoutMs`; a render
 * that runs past it fails with `gateway_timeout` and its browser is replaced, because a page stuck that long may
 * be stuck for good. A browser that crashes or disconnects is replaced too (a render it took down is tried once
 * more on another browser, within the same deadline), and so is every browser after `maxRendersPerBrowser`
 * renders (long-lived renderers grow). No render ever hangs its caller.
 *
 * After each render the page is reset to a blank document before it serves the next patient (see `RenderPage`).
 */
import { AppError } from '../errors';
import type { Logger } from '../log';
import { PooledBrowser } from './pdf-browser';
import type { PageRenderResult, RenderPage } from './pdf-browser';
import { isTimeout, timeoutError, WaitQueue, withDeadline } from './pdf-queue';
import { pdfOptions } from './pdf-templates';

export interface PdfPoolOptions {
  /** Browsers kept warm (default 1). */
  size?: number;
  /** Pages per browser, i.e. renders one browser runs at once (default 2). */
  pagesPerBrowser?: number;
  /** Deadline of one render, queue wait included (default 15 s). */
  renderTimeoutMs?: number;
  /** A browser is replaced after this many renders (default 200). */
  maxRendersPerBrowser?: number;
  /** Callers allowed to wait for a page; one more is refused (default 20). */
  maxQueue?: number;
  logger?: Logger;
}

/** How many browsers the pool keeps, and how many renders each runs at once. */
export interface PdfPoolShape {
  size: number;
  pagesPerBrowser: number;
}

export interface PdfPoolStats {
  /** Browsers taking work. */
  ready: number;
  rendering: number;
  waiting: number;
  /** Process ids of the browsers (diagnostics; tests use them to simulate a crash). */
  pids: number[];
}

interface Lease {
  browser: PooledBrowser;
  page: RenderPage;
}

type Attempt = { ok: true; result: PageRenderResult } | { ok: false; error: AppError; browserGone: boolean };

/**
 * One browser running two renders at once: on two cores it prints as many PDFs per second as two browsers × two pages
 * and holds a browser less (bench-results/latest.md). A browser that crashes is replaced and its render retried
 * within the same deadline, so one browser costs a pause, not a failed print.
 */
const DEFAULTS = { size: 1, pagesPerBrowser: 2, renderTimeoutMs: 15_000, maxRendersPerBrowser: 200, maxQueue: 20 };
const RESET_TIMEOUT_MS = 5_000;

export class PdfRenderer {
  private readonly browsers = new Set<PooledBrowser>();
  private readonly queue: WaitQueue<Lease>;
  private launching = 0;
  private closed = false;

  private constructor(private readonly options: Required<Omit<PdfPoolOptions, 'logger'>> & { logger?: Logger }) {
    this.queue = new WaitQueue<Lease>(options.maxQueue, timeoutError);
  }

  /** Starts the pool and waits until every browser is up, so the first render is already warm. */
  static async start(options: PdfPoolOptions = {}): Promise<PdfRenderer> {
    const renderer = new PdfRenderer({ ...DEFAULTS, ...definedOnly(options) });
    await Promise.all(Array.from({ length: renderer.options.size }, () => renderer.launchBrowser()));
    if (renderer.browsers.size === 0) {
      throw new AppError('internal', 'The PDF renderer could not start Chromium.', {
        hint: "Install Debian's chromium package (scripts/ensure-chromium.sh) or set CHROMIUM_PATH.",
      });
    }
    return renderer;
  }

  /** Renders one document to a tagged PDF (its running header and footer are the document's own margin boxes). */
  async render(html: string): Promise<PageRenderResult> {
    const deadline = Date.now() + this.options.renderTimeoutMs;
    const first = await this.attempt(html, deadline);
    if (first.ok) {
      return first.result;
    }
    if (!first.browserGone || this.closed || Date.now() >= deadline) {
      throw first.error;
    }
    this.options.logger?.warn('pdf.render_retried', { reason: 'browser-gone' });
    const second = await this.attempt(html, deadline);
    if (second.ok) {
      return second.result;
    }
    throw second.error;
  }

  shape(): PdfPoolShape {
    return { size: this.options.size, pagesPerBrowser: this.options.pagesPerBrowser };
  }

  stats(): PdfPoolStats {
    const browsers = [...this.browsers];
    return {
      ready: browsers.filter((b) => b.state === 'ready').length,
      rendering: browsers.reduce((sum, b) => sum + b.active, 0),
      waiting: this.queue.length,
      pids: browsers.map((b) => b.pid).filter((pid): pid is number => pid !== undefined),
    };
  }

  /** Rejects every waiting caller and kills every browser. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.failAll(new AppError('internal', 'The PDF renderer is shutting down.'));
    await Promise.all([...this.browsers].map((b) => b.kill()));
    this.browsers.clear();
  }

  private async attempt(html: string, deadline: number): Promise<Attempt> {
    const lease = await this.acquire(deadline);
    const work = lease.page.render(html, pdfOptions(Math.max(1, deadline - Date.now())));
    try {
      const result = await withDeadline(work, Math.max(1, deadline - Date.now()));
      void this.resetAndRelease(lease);
      return { ok: true, result };
    } catch (error) {
      work.catch(() => undefined);
      const timedOut = isTimeout(error);
      const browserGone = !lease.browser.connected;
      this.retire(lease.browser, failureReason(timedOut, browserGone));
      this.release(lease);
      const failure = timedOut ? timeoutError() : new AppError('internal', 'The PDF could not be rendered.', { cause: error });
      return { ok: false, error: failure, browserGone: browserGone && !timedOut };
    }
  }

  private acquire(deadline: number): Promise<Lease> {
    if (this.closed) {
      return Promise.reject(new AppError('internal', 'The PDF renderer is shut down.'));
    }
    const lease = this.freeLease();
    if (lease) {
      return Promise.resolve(lease);
    }
    this.ensureCapacity();
    return this.queue.wait(deadline);
  }

  /** A free page on the ready browser with the fewest renders running (spreads load across processes). */
  private freeLease(): Lease | undefined {
    const candidates = [...this.browsers].filter((b) => b.state === 'ready' && b.connected && b.idlePages.length > 0);
    const browser = candidates.sort((a, b) => a.active - b.active)[0];
    const page = browser?.idlePages.pop();
    if (!browser || !page) {
      return undefined;
    }
    browser.active += 1;
    return { browser, page };
  }

  /** The finished patient's document is dropped before the page goes back to the pool. */
  private async resetAndRelease(lease: Lease): Promise<void> {
    const reset = lease.page.reset(RESET_TIMEOUT_MS);
    try {
      await withDeadline(reset, RESET_TIMEOUT_MS);
    } catch {
      reset.catch(() => undefined);
      this.retire(lease.browser, 'reset-failed');
    }
    this.release(lease);
  }

  private release(lease: Lease): void {
    const { browser } = lease;
    browser.active -= 1;
    browser.renders += 1;
    if (browser.state === 'ready') {
      browser.idlePages.push(lease.page);
      if (browser.renders >= this.options.maxRendersPerBrowser) {
        this.retire(browser, 'recycled');
      }
    }
    if (browser.state === 'draining' && browser.active === 0) {
      void this.killBrowser(browser);
    }
    this.queue.serve(() => this.freeLease());
  }

  /** Takes a browser out of service (it finishes what it runs, then is killed) and starts its replacement. */
  private retire(browser: PooledBrowser, reason: string): void {
    if (browser.state !== 'ready') {
      return;
    }
    browser.state = 'draining';
    this.options.logger?.info('pdf.browser_retired', { reason, renders: browser.renders });
    if (browser.active === 0 || !browser.connected) {
      void this.killBrowser(browser);
    }
    this.ensureCapacity();
  }

  private async killBrowser(browser: PooledBrowser): Promise<void> {
    this.browsers.delete(browser);
    await browser.kill();
  }

  private ensureCapacity(): void {
    const serving = [...this.browsers].filter((b) => b.state === 'ready').length;
    for (let i = serving + this.launching; i < this.options.size && !this.closed; i += 1) {
      void this.launchBrowser();
    }
  }

  private async launchBrowser(): Promise<void> {
    this.launching += 1;
    try {
      const browser = await PooledBrowser.launch(this.options.pagesPerBrowser);
      if (this.closed) {
        await browser.kill();
        return;
      }
      this.browsers.add(browser);
      browser.onDisconnect(() => this.onDisconnect(browser));
    } catch (error) {
      this.options.logger?.error('pdf.browser_launch_failed', { error: error instanceof Error ? error.name : 'unknown' });
    } finally {
      this.launching -= 1;
    }
    this.afterLaunch();
  }

  private onDisconnect(browser: PooledBrowser): void {
    if (browser.state === 'gone' || this.closed) {
      return;
    }
    this.options.logger?.warn('pdf.browser_disconnected', { renders: browser.renders });
    this.retire(browser, 'disconnected');
  }

  /** Serves waiters from a new browser, or fails them when no browser is up and none is on its way. */
  private afterLaunch(): void {
    this.queue.serve(() => this.freeLease());
    const serving = [...this.browsers].some((b) => b.state === 'ready');
    if (!serving && this.launching === 0) {
      this.queue.failAll(new AppError('internal', 'The PDF renderer could not start Chromium.'));
    }
  }
}

function failureReason(timedOut: boolean, browserGone: boolean): string {
  if (timedOut) {
    return 'render-timeout';
  }
  return browserGone ? 'disconnected' : 'render-failed';
}

function definedOnly(options: PdfPoolOptions): Partial<PdfPoolOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
