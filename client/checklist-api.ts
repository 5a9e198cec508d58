/**
 * The browser side of the discussion API and its autosave. The server is the only store: the page keeps what the
 * clinician typed until the server confirms it, retries when the network or the server fails, and stops (without
 * dropping anything on the page) when a save can never succeed (another window changed the record, the session
 * ended).
 */
export interface ChecklistApi {
  launchId: string;
  csrfToken: string;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

export async function callApi(api: ChecklistApi, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-csrf-token': api.csrfToken };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`/api/launches/${encodeURIComponent(api.launchId)}/discussion${path}`, {
    method,
    headers,
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body: parsed };
}

export type SaveState = 'saved' | 'pending' | 'saving' | 'retrying' | 'conflict' | 'refused' | 'ended';

export interface AutosaveOptions {
  /** Sends the current answers; called only once the typing has paused. */
  save(): Promise<ApiResponse>;
  /** The server accepted a save: take its view (new version). */
  onSaved(body: Record<string, unknown>): void;
  onState(state: SaveState, message?: string): void;
  delayMs?: number;
}

const MAX_RETRY_MS = 30_000;

/** Debounced, one-at-a-time saving with retry and backoff. */
export class Autosaver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private dirty = false;
  private retryMs = 1000;
  private state: SaveState = 'saved';

  constructor(private readonly options: AutosaveOptions) {}

  get current(): SaveState {
    return this.state;
  }

  /** Something changed: save it after a pause in typing. */
  schedule(): void {
    if (this.state === 'conflict' || this.state === 'ended') {
      return;
    }
    this.dirty = true;
    this.setState('pending');
    this.arm(this.options.delayMs ?? 600);
  }

  /** Saves now whatever is pending; true when the server has everything on the page. */
  async flush(): Promise<boolean> {
    clearTimeout(this.timer);
    while (this.inFlight !== undefined || (this.dirty && this.canSave())) {
      await (this.inFlight ?? this.run());
      if (this.state === 'retrying') {
        return false;
      }
    }
    return this.state === 'saved';
  }

  private canSave(): boolean {
    return this.state !== 'conflict' && this.state !== 'ended';
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private setState(state: SaveState, message?: string): void {
    this.state = state;
    this.options.onState(state, message);
  }

  private async run(): Promise<void> {
    if (this.inFlight !== undefined) {
      return this.inFlight;
    }
    this.dirty = false;
    this.setState('saving');
    this.inFlight = this.attempt().finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
    if (this.dirty && this.state === 'saving') {
      this.arm(0);
    }
  }

  private async attempt(): Promise<void> {
    let response: ApiResponse;
    try {
      response = await this.options.save();
    } catch {
      this.retryLater();
      return;
    }
    this.settle(response);
  }

  private settle(response: ApiResponse): void {
    const message = typeof response.body.message === 'string' ? response.body.message : undefined;
    if (response.status === 200) {
      this.retryMs = 1000;
      this.options.onSaved(response.body);
      this.setState(this.dirty ? 'saving' : 'saved');
    } else if (response.status === 409) {
      this.setState('conflict', message);
    } else if (response.status === 401 || response.status === 403) {
      this.setState('ended', message);
    } else if (response.status === 400 || response.status === 422) {
      this.setState('refused', message);
    } else {
      this.retryLater();
    }
  }

  private retryLater(): void {
    this.dirty = true;
    this.setState('retrying');
    this.arm(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
