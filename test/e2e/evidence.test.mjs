// A dispute: Syria's duty officer downloads, from the page, the evidence
// bundle of the drill's FLASH, and someone outside the cell checks the
// file with the liaison binary alone, signed in nowhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the evidence bundle a page downloads checks offline', async () => {
  const sy = await signIn(browser, 'sy.duty');
  try {
    await sy.page.goto('/channels/joint-military');
    const flash = sy.page.locator('article[data-message-id]', { hasText: 'UAV over the buffer zone' });
    await flash.waitFor({ timeout: 20000 });
    const [download] = await Promise.all([
      sy.page.waitForEvent('download'),
      flash.getByRole('link', { name: 'Evidence bundle' }).click(),
    ]);
    const dir = mkdtempSync(path.join(tmpdir(), 'liaison-evidence-'));
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /^liaison-il-sy-message-\d+\.json$/);
    const out = execFileSync(process.env.LIAISON_E2E_BIN, ['verify', '--bundle', file], {
      encoding: 'utf8', env: { ...process.env, LIAISON_CONFIG_DIR: dir },
    });
    assert.match(out, /Evidence verified/);
    assert.match(out, /UAV over the buffer zone/);
    assert.match(out, /message\.ack\s+sy\.duty \(sy\)/);
  } finally {
    await sy.context.close();
  }
});
