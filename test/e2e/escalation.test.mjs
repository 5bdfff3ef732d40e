// A FLASH nobody acknowledges: the mediator's watch screen counts it down,
// then shows its escalation, live. test/e2e/run starts the demo with
// --ack-deadlines FLASH=5s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, unique, api } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an unacknowledged FLASH counts down, then escalates on the mediator dashboard', async () => {
  const us = await signIn(browser, 'us.duty');
  const il = await signIn(browser, 'il.duty');
  try {
    const { cell } = await api(us.page, '/cell');
    assert.equal(cell.settings?.ack_deadlines?.FLASH, Number(process.env.LIAISON_E2E_FLASH_DEADLINE || 5),
      'the demo did not take its --ack-deadlines');
    await us.page.goto('/dashboard');
    const navigations = [];
    us.page.on('framenavigated', (f) => { if (f === us.page.mainFrame()) navigations.push(f.url()); });

    const subject = unique('Unanswered FLASH');
    await il.page.goto('/channels/joint-military');
    const compose = il.page.getByRole('form', { name: 'Compose' });
    await compose.getByLabel('Precedence').selectOption('FLASH');
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByLabel('Message').fill('Artillery registration fire planned at grid 36S within the hour.');
    await compose.getByRole('button', { name: 'Send' }).click();

    // It arrives among what awaits the mediator's acknowledgement, with a
    // running countdown.
    const awaiting = us.page.locator('[data-fragment="awaiting"] li[data-message-id]', { hasText: subject }).filter({ has: us.page.locator('time.countdown') });
    await awaiting.first().waitFor({ timeout: 20000 });
    const countdown = awaiting.first().locator('time.countdown');
    const first = await countdown.innerText();
    assert.match(first, /^\d+:\d\d left$/, `countdown reads ${first}`);
    // It agrees with its deadline, and moves on while we watch. (Other
    // tests' escalations re-render the list meanwhile, so it is watched
    // for a change rather than read twice at set times.)
    const deadline = Date.parse(await countdown.getAttribute('data-deadline'));
    const [, m, sec] = /^(\d+):(\d\d)/.exec(first);
    assert.ok(Math.abs(Number(m) * 60 + Number(sec) - (deadline - Date.now()) / 1000) <= 2, `${first} against a deadline of ${new Date(deadline).toISOString()}`);
    await us.page.waitForFunction((was) => {
      const li = [...document.querySelectorAll('li[data-message-id]')].find((el) => el.textContent.includes(was.subject));
      const text = li?.querySelector('time.countdown')?.textContent;
      return text && text !== was.first;
    }, { subject, first }, { timeout: 5000 });

    // Then, without a reload, the escalation.
    const esc = us.page.locator('li[data-escalation]', { hasText: subject });
    await esc.first().waitFor({ timeout: 30000 });
    assert.match(await esc.first().innerText(), /escalated to (duty|admin)/);
    assert.equal(await esc.first().getAttribute('data-precedence'), 'FLASH');
    assert.deepEqual(navigations, [], 'the dashboard reloaded');
  } finally {
    await us.context.close();
    await il.context.close();
  }
});
