import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloseOptions, RunningSandbox, RunningSystem } from '../../server/boot';
import { startSystem } from '../../server/boot';

/**
 * The whole product for a test: app + sandbox EHR on free ports, a fresh data folder (keys generated there, PGlite
 * store) and every log line captured so tests can scan them for tokens and PHI.
 */
export interface TestSystem extends RunningSystem {
  logLines: string[];
  dataDir: string;
  /** `keepData` leaves the data folder for another instance (an app restart); the last one to close removes it. */
  close(options?: CloseOptions & { keepData?: boolean }): Promise<void>;
}

export interface TestSystemOptions {
  /** Reuse this data folder (the same store and keys: an app restart) instead of a fresh one. */
  dataDir?: string;
  /** Run against this sandbox EHR, already running, instead of starting one. */
  sandbox?: RunningSandbox;
}

export async function startTestSystem(env: Record<string, string> = {}, options: TestSystemOptions = {}): Promise<TestSystem> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-test-'));
  const logLines: string[] = [];
  const system = await startSystem({
    env: { PORT: '0', SANDBOX_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env },
    logSink: (line) => logLines.push(line),
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
  });
  return {
    ...system,
    logLines,
    dataDir,
    async close(closeOptions: CloseOptions & { keepData?: boolean } = {}): Promise<void> {
      await system.close(closeOptions);
      if (closeOptions.keepData !== true) {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
