/**
 * A deadline for one outbound request: an AbortSignal that fires after `ms` (or when the caller's own signal does),
 * and a way to tell afterwards whether it was the clock — so the clinician reads "did not answer in time" rather
 * than "could not be reached".
 */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  /** Stops the clock and lets go of the caller's signal; call it in `finally`. */
  clear(): void;
}

export function startDeadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, ms);
  const stop = (): void => controller.abort();
  outer?.addEventListener('abort', stop, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', stop);
    },
  };
}
