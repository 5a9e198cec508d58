/**
 * What a launch costs the EHR, from the requests the sandbox EHR answered (each with its start and end time):
 * how many, and how many sequential round trips — the longest chain of requests each of which began only after the
 * previous one had been answered. Requests in flight together (one parallel wave of reads) count as one round trip.
 * Pure, so the counting itself is tested.
 */
export interface EhrRequest {
  method: string;
  path: string;
  /** ms, any clock shared by all requests. */
  start: number;
  end: number;
}

export function sequentialRoundTrips(requests: readonly EhrRequest[]): number {
  const byEnd = [...requests].sort((a, b) => a.end - b.end);
  // chain[i]: the longest chain ending with request i; a request extends a chain whose last request ended before it began.
  const chain: number[] = [];
  let longest = 0;
  byEnd.forEach((request, i) => {
    let best = 0;
    for (let j = 0; j < i; j += 1) {
      const previous = byEnd[j];
      if (previous !== undefined && previous.end <= request.start) {
        best = Math.max(best, chain[j] ?? 0);
      }
    }
    chain[i] = best + 1;
    longest = Math.max(longest, best + 1);
  });
  return longest;
}
