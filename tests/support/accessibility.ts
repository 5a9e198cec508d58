import { AxePuppeteer } from '@axe-core/puppeteer';
import type { Page } from 'puppeteer';

/**
 * axe-core on the page as it is now (frames included). Only serious and critical violations are returned, each with
 * the elements it found, so a failing `toEqual([])` prints what to fix.
 */
export interface Violation {
  screen: string;
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

export async function seriousViolations(page: Page, screen: string): Promise<Violation[]> {
  const results = await new AxePuppeteer(page).analyze();
  if (results.passes.length === 0) {
    throw new Error(`axe checked nothing on ${screen}`);
  }
  if (process.env.AXE_ALL === '1') {
    console.log(screen, JSON.stringify(results.violations.map((v) => [v.id, v.impact, v.nodes.map((n) => n.target.join(' ')).slice(0, 3)])));
  }
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      screen,
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      nodes: v.nodes.slice(0, 8).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`.replace(/\s+/g, ' ')),
    }));
}

/** Number of `main` landmarks in the top document: `main` elements whose role is not overridden, and `role="main"`. */
export function mainLandmarks(page: Page): Promise<number> {
  return page.$$eval('main:not([role]), [role="main"]', (nodes) => nodes.length);
}

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`; returns the number of presses. */
export async function tabTo(page: Page, selector: string, options: { backwards?: boolean; max?: number } = {}): Promise<number> {
  const max = options.max ?? 150;
  for (let presses = 0; presses <= max; presses += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      return presses;
    }
    if (options.backwards === true) {
      await page.keyboard.down('Shift');
      await page.keyboard.press('Tab');
      await page.keyboard.up('Shift');
    } else {
      await page.keyboard.press('Tab');
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}
