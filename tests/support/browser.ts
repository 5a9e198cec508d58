import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'puppeteer';
import puppeteer from 'puppeteer';
import { QUIET_CHROMIUM_FLAGS, chromiumPath } from '../../server/handout/pdf-browser';

/**
 * Debian's chromium, headless, with a fresh profile. The background-networking flags keep Chromium from dialling
 * out (the machine has no internet; those connections only add noise).
 */
export const CHROMIUM_PATH = chromiumPath();

export interface BrowserOptions {
  /**
   * `block`: the profile refuses third-party cookies (Settings → "Block third-party cookies", as Safari, Firefox and
   * many hospital policies do), set explicitly rather than left to this Chromium build's default.
   */
  thirdPartyCookies?: 'block';
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'itdd-chromium-'));
  if (options.thirdPartyCookies === 'block') {
    fs.mkdirSync(path.join(profile, 'Default'));
    fs.writeFileSync(path.join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 1, block_third_party_cookies: true } }));
  }
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    userDataDir: profile,
    // The test browser must reach the app and the sandbox on loopback, so it takes the quiet flags only, not the
    // renderer's network lockdown.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ...QUIET_CHROMIUM_FLAGS],
  });
  return {
    browser,
    async close(): Promise<void> {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
