import type { TestSystem } from './system';

/** How many requests the sandbox EHR has answered so far (one place to point at if the sandbox hook moves). */
export function ehrRequestCount(system: TestSystem): number {
  const sandbox = system.sandbox;
  if (sandbox === undefined) {
    throw new Error('this test needs the sandbox EHR');
  }
  return sandbox.requestCount();
}

/** The EHR requests `work` makes. */
export async function ehrRequestsOf<T>(system: TestSystem, work: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const before = ehrRequestCount(system);
  const result = await work();
  return { result, requests: ehrRequestCount(system) - before };
}
