import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningSystem } from '../../server/boot';
import { startSystem } from '../../server/boot';

/**
 * The whole product for a test: app + sandbox EHR on free ports, a fresh data folder (keys generated there, PGlite
 * store) and every log line captured so tests can scan them for tokens and PHI.
 */
export interface TestSystem extends RunningSystem {
  logLines: string[];
  dataDir: string;
}

export async function startTestSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-test-'));
  const logLines: string[] = [];
  const system = await startSystem({
    env: { PORT: '0', SANDBOX_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env },
    logSink: (line) => logLines.push(line),
  });
  return {
    ...system,
    logLines,
    dataDir,
    async close(): Promise<void> {
      await system.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
