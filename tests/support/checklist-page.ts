import type { Page } from 'puppeteer';

/** Answers every visible checklist item as a clinician would: confirms ticked, first option chosen, text filled. */
export async function answerEverything(page: Page): Promise<void> {
  // Follow-up items appear once their trigger is answered, so go round until nothing new shows.
  for (let round = 0; round < 3; round += 1) {
    await page.$$eval('[data-item-id]:not([hidden]) input[type="checkbox"]:not(:checked)', (boxes) => boxes.forEach((b) => b.click()));
    await page.$$eval('[data-item-id]:not([hidden]) fieldset.choice', (sets) =>
      sets.forEach((set) => {
        if (set.querySelector('input:checked') === null) {
          set.querySelector<HTMLInputElement>('input[type="radio"]')?.click();
        }
      }),
    );
    for (const input of await page.$$('[data-item-id]:not([hidden]) input[type="text"]')) {
      if ((await input.evaluate((i) => i.value)) === '') {
        await input.type('Synthetic answer');
      }
    }
  }
}

export async function waitSaved(page: Page): Promise<void> {
  try {
    await page.waitForFunction(() => document.querySelector('#checklist-save-state')?.textContent?.trim() === 'Saved', { timeout: 15_000 });
  } catch (error) {
    const shown = await page.$eval('#checklist-save-state', (n) => n.textContent ?? '').catch(() => '(no save state on the page)');
    throw new Error(`the checklist never showed "Saved"; it shows: ${shown}`, { cause: error });
  }
}

/** Opens the checklist tab, answers everything and completes the discussion (server-attested). */
export async function completeChecklist(page: Page): Promise<void> {
  await page.click('#tab-button-checklist');
  await page.waitForSelector('#attest');
  await answerEverything(page);
  await waitSaved(page);
  await page.click('#attest');
  await page.waitForSelector('#checklist-status[data-status="attested"]', { timeout: 15_000 });
}
