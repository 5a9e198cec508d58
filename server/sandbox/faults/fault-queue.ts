import type { LaunchContext, WriteFault } from '../types';

/**
 * The queue of faults waiting for FHIR requests. Tests (and the simulator) queue a fault; the next matching
 * request consumes it. A launch can also carry one fault for its first DocumentReference write.
 */

/** `write`: DocumentReference POST and PUT. `read`: reads and searches (any type, or the one named). */
export type FaultScope = 'write' | 'read';

/** `Retry-After` as delta-seconds, or as an HTTP-date that many seconds ahead (RFC 9110 §10.2.3 allows both). */
export interface RetryAfter {
  seconds: number;
  form: 'seconds' | 'http-date';
}

/** What the injector needs to apply one fault. */
export interface FaultPlan {
  fault: WriteFault;
  retryAfter: RetryAfter;
  delayMs: number;
}

export interface FaultRule extends FaultPlan {
  scope: FaultScope;
  /** Only requests about this patient (the note's subject, else the launch patient). */
  patient?: string;
  /** Reads only: only this resource type. */
  resourceType?: string;
  /** Requests still to fault. */
  remaining: number;
}

export interface FaultQueue {
  rules: FaultRule[];
  /** Launches whose simulator-chosen write fault has been used (weak: launches come and go). */
  usedLaunchFaults: WeakSet<LaunchContext>;
}

/** The request a fault may apply to. */
export interface FaultTarget {
  scope: FaultScope;
  resourceType: string;
  patient: string | undefined;
  launch: LaunchContext;
}

/** At most this many rules wait at once: a test that needs more is doing something else. */
export const MAX_QUEUED_RULES = 100;
/** Defaults for the simulator's per-launch fault (a person is watching: long enough to see, short enough to wait). */
export const LAUNCH_FAULT_DEFAULTS = { retryAfter: { seconds: 2, form: 'seconds' }, delayMs: 10_000 } as const;

export function createFaultQueue(): FaultQueue {
  return { rules: [], usedLaunchFaults: new WeakSet() };
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  return (
    rule.scope === target.scope &&
    (rule.patient === undefined || rule.patient === target.patient) &&
    (rule.resourceType === undefined || rule.resourceType === target.resourceType)
  );
}

/** The launch's own fault, once, on its first DocumentReference write. */
function takeLaunchFault(queue: FaultQueue, target: FaultTarget): FaultPlan | undefined {
  const fault = target.launch.simulation.writeFault;
  if (target.scope !== 'write' || fault === 'none' || queue.usedLaunchFaults.has(target.launch)) {
    return undefined;
  }
  queue.usedLaunchFaults.add(target.launch);
  return { fault, retryAfter: { ...LAUNCH_FAULT_DEFAULTS.retryAfter }, delayMs: LAUNCH_FAULT_DEFAULTS.delayMs };
}

/** Consumes and returns the fault for this request, if one is waiting: the launch's first, then the queue in order. */
export function takeFault(queue: FaultQueue, target: FaultTarget): FaultPlan | undefined {
  const launchFault = takeLaunchFault(queue, target);
  if (launchFault !== undefined) {
    return launchFault;
  }
  const index = queue.rules.findIndex((rule) => matches(rule, target));
  const rule = queue.rules[index];
  if (rule === undefined) {
    return undefined;
  }
  rule.remaining -= 1;
  if (rule.remaining <= 0) {
    queue.rules.splice(index, 1);
  }
  return { fault: rule.fault, retryAfter: rule.retryAfter, delayMs: rule.delayMs };
}

/** The `Retry-After` header value, from the sandbox clock; an HTTP-date is rounded up to a whole second. */
export function retryAfterHeader(retryAfter: RetryAfter, nowMs: number): string {
  if (retryAfter.form === 'seconds') {
    return String(retryAfter.seconds);
  }
  return new Date(Math.ceil((nowMs + retryAfter.seconds * 1000) / 1000) * 1000).toUTCString();
}
