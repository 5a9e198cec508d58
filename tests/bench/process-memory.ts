import fs from 'node:fs';

/**
 * Memory of a process and its children (Chromium's browser, renderers and helpers), from /proc. PSS divides shared
 * pages among the processes that share them, so a browser's many processes are not counted many times over; RSS of
 * the Node process alone is also given.
 */
function children(pid: number): number[] {
  try {
    const tasks = fs.readdirSync(`/proc/${pid}/task`);
    return tasks.flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i += 1) {
    all.push(...children(all[i] ?? 0));
  }
  return all;
}

function kbField(file: string, field: string): number {
  try {
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export const rssMb = (pid: number): number => Math.round(kbField(`/proc/${pid}/status`, 'VmRSS') / 1024);

export function treePssMb(pid: number): number {
  return Math.round(processTree(pid).reduce((sum, p) => sum + kbField(`/proc/${p}/smaps_rollup`, 'Pss'), 0) / 1024);
}
