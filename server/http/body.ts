/**
 * Reading answers from outside servers without trusting their size: every EHR response body is streamed and
 * dropped as soon as it passes the cap, so a huge or endless answer costs a bounded amount of memory.
 */

/** The body as UTF-8 text, or undefined (stream cancelled) once it passes `maxBytes`. */
export async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) {
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return Buffer.concat(chunks).toString('utf8');
    }
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}

/** Lets go of a body that will not be read, so the connection is freed. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
