/**
 * Deadlines for the PDF pool, and the callers waiting for a free render page, oldest first, bounded. A waiter gives
 * up at its own deadline, so a caller never waits longer than its render would have been allowed to take.
 */
import { AppError } from '../errors';

export function timeoutError(): AppError {
  return new AppError('gateway_timeout', 'The PDF took too long to render.', { hint: 'Try again; if it keeps happening, tell support.' });
}

/** Our deadline, or puppeteer's own (setContent / pdf `timeout`), which may fire a moment before ours. */
export function isTimeout(error: unknown): boolean {
  return (error instanceof AppError && error.code === 'gateway_timeout') || (error instanceof Error && error.name === 'TimeoutError');
}

/** Resolves with `work`, or rejects with `gateway_timeout` after `ms` (the work is abandoned, not awaited). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

interface Waiter<T> {
  grant(value: T): void;
  fail(error: AppError): void;
}

export class WaitQueue<T> {
  private readonly waiters: Waiter<T>[] = [];

  constructor(
    private readonly capacity: number,
    private readonly onDeadline: () => AppError,
  ) {}

  get length(): number {
    return this.waiters.length;
  }

  /** Queues a caller; refuses at once with `too_many_requests` when `capacity` callers already wait. */
  wait(deadline: number): Promise<T> {
    if (this.waiters.length >= this.capacity) {
      return Promise.reject(
        new AppError('too_many_requests', 'Too many handouts are being printed right now.', { hint: 'Try again in a few seconds.' }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(waiter);
        reject(this.onDeadline());
      }, Math.max(1, deadline - Date.now()));
      const waiter: Waiter<T> = {
        grant: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Serves the oldest waiters while `next` has something to give. */
  serve(next: () => T | undefined): void {
    while (this.waiters.length > 0) {
      const value = next();
      if (value === undefined) {
        return;
      }
      this.waiters.shift()?.grant(value);
    }
  }

  failAll(error: AppError): void {
    this.waiters.splice(0).forEach((waiter) => waiter.fail(error));
  }

  private remove(waiter: Waiter<T>): void {
    const index = this.waiters.indexOf(waiter);
    if (index !== -1) {
      this.waiters.splice(index, 1);
    }
  }
}
