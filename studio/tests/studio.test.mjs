// credo studio in Debian's Chromium: each scenario is what a policy author
// does, and any JavaScript error on the page fails it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  analysed, currentAnalysis, launch, nextAnalysis, openFile, outcome, replaceInEditor, startStudio, waitOutcome, withPage,
} from './harness.mjs';

let studio;
let browser;

before(async () => {
  studio = await startStudio();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await studio?.stop();
});

const scenario = (name, body) => test(name, { timeout: 60000 }, () => withPage(browser, studio.base, name, body));

scenario('the page opens with every file, the chosen example and its outcomes', async (page) => {
  const files = await page.locator('#files button').allTextContents();
  assert.deepEqual(files, ['agency_partner.credo', 'business_center.credo', 'forfeiture.credo',
    'new_advertiser.credo', 'schema.credo', 'track.credo']);
  assert.match(await page.locator('#check-status').textContent(), /^The set checks/);
  assert.equal(await page.locator('#outcomes > li').count(), 12);
  assert.equal(await outcome(page, 'spend_milestone_credit'), '1500.00 USD');
  assert.equal(await outcome(page, 'credit_allocation'), 'permit');
  assert.ok(await page.locator('#highlight .tok-kw').count() > 10, 'keywords are highlighted');
});

scenario('a typo gives an underlined diagnostic with its help, and the quick fix fixes it', async (page) => {
  await openFile(page, 'new_advertiser.credo');
  await replaceInEditor(page, 'account.segment != smb', 'account.segmnt != smb');
  const underline = page.locator('#highlight .diag.error');
  await underline.first().waitFor();
  assert.equal(await underline.first().textContent(), 'account.segmnt');
  const problem = page.locator('#problems li.error').first();
  assert.match(await problem.textContent(), /unknown field `account\.segmnt`/);
  assert.match(await problem.textContent(), /help: did you mean `account\.segment`\?/);
  assert.match(await page.locator('#check-status').textContent(), /1 error/);
  const before = await analysed(page);
  await problem.getByRole('button', { name: /quick fix: replace with `account\.segment`/ }).click();
  await nextAnalysis(page, before);
  assert.equal(await page.locator('#highlight .diag').count(), 0);
  assert.match(await page.locator('#check-status').textContent(), /^The set checks/);
  assert.match(await page.locator('#source').inputValue(), /account\.segment != smb/);
});

scenario('raising a tier threshold changes the outcome shown for the chosen example', async (page) => {
  assert.equal(await outcome(page, 'spend_milestone_credit'), '1500.00 USD');
  await replaceInEditor(page, '>= 50000 USD => 1500 USD', '>= 70000 USD => 1500 USD');
  await waitOutcome(page, 'spend_milestone_credit', '250.00 USD');
  assert.equal(await page.locator('#outcomes li[data-decision="spend_milestone_credit"] .badge.changed').count(), 1);
  assert.ok(await page.locator('#highlight .line-fired').count() > 0, 'the rows that fired are highlighted');
});

scenario('editing a fact in the form updates the outcomes, and the trace says why not', async (page) => {
  await page.locator('#fact-agency-client_spend').fill('160000');
  await waitOutcome(page, 'spend_milestone_credit', '5000.00 USD');
  const item = page.locator('#outcomes li[data-decision="new_advertiser_credit"]');
  await item.getByRole('button', { name: 'trace' }).click();
  const trace = item.locator('.trace');
  assert.match(await trace.locator('li.fired').first().textContent(), /created_outside_ads_manager.*fired/);
  assert.match(await trace.locator('.why-not').first().textContent(), /does not hold|not reached/);
});

scenario('the facts edited as YAML update the outcomes', async (page) => {
  await page.getByRole('radio', { name: 'YAML' }).check();
  const yaml = page.locator('#facts-yaml');
  const text = await yaml.inputValue();
  assert.match(text, /client_spend: "62000\.00 USD"/);
  await yaml.fill(text.replace('client_spend: "62000.00 USD"', 'client_spend: "9000.00 USD"'));
  await waitOutcome(page, 'spend_milestone_credit', '0.00 USD');
});

scenario('what-if next to a negative outcome applies a change with a click', async (page) => {
  assert.equal(await outcome(page, 'new_advertiser_credit'), 'not_eligible');
  const item = page.locator('#outcomes li[data-decision="new_advertiser_credit"]');
  await item.getByRole('button', { name: 'what if?' }).click();
  await item.locator('.apply-whatif').first().click();
  await waitOutcome(page, 'new_advertiser_credit', 'eligible');
  assert.equal(await page.locator('#fact-account-created_via').inputValue(), 'ads_manager');
});

scenario('a verify counterexample loads as the facts with one click', async (page) => {
  // A threshold above the one before it: that row can never decide.
  await replaceInEditor(page, '>= 10000 USD => 250 USD', '>= 100000 USD => 250 USD');
  const verified = page.waitForResponse((r) => r.url().endsWith('/v1/studio/verify'));
  await page.getByRole('button', { name: 'Verify' }).click();
  const report = await (await verified).json();
  const finding = report.decisions.flatMap((d) => d.findings).find((f) => f.examples.length);
  assert.ok(finding, 'verify finds a row that never decides');
  await page.locator('.finding .load-example').first().click();
  await page.waitForFunction(() => document.getElementById('example').value === '__custom');
  // The facts now held are the counterexample's, read back from the YAML view.
  const held = await page.evaluate(async () => (await import('/studio/facts.js')).fromYaml(document.getElementById('facts-yaml').value));
  assert.deepEqual(held, finding.examples[0].facts);
});

scenario('the policy tests and the examples\' snapshots run and show on the rules', async (page) => {
  await page.getByRole('button', { name: 'Run tests' }).click();
  await page.locator('#tests-summary').waitFor();
  assert.match(await page.locator('#tests-summary').textContent(), /^\d+ passed, 0 failed; (\d+) of \1 rules and rows covered/);
  assert.ok(await page.locator('#gutter .cov.hit').count() >= 5, 'the coverage is shown beside the rules');
  assert.match(await page.locator('#snapshots-summary').textContent(), /^Snapshots of the examples: \d+ match$/);
  await replaceInEditor(page, '>= 50000 USD => 1500 USD', '>= 70000 USD => 1500 USD');
  await page.getByRole('button', { name: 'Run tests' }).click();
  await page.waitForFunction(() => /1 failed/.test(document.getElementById('tests-summary')?.textContent || ''));
  assert.match(await page.locator('.test-fail').first().textContent(), /expected 1500\.00 USD, got 250\.00 USD/);
  // The examples' snapshots say what the unsaved edit changes, as `credo snapshot --check` would.
  assert.match(await page.locator('#snapshots-summary').textContent(), /\d+ match, \d+ change with this edit/);
  assert.match(await page.locator('.snapshot-change pre').first().textContent(), /spend_milestone_credit: 1500\.00 USD -> 250\.00 USD\n {4}- decided by: row 2\n {4}\+ decided by: row 3/);
});

scenario('the impact chart appears for an edit, with money before and after', async (page) => {
  await replaceInEditor(page, '>= 50000 USD => 1500 USD', '>= 50000 USD => 2500 USD');
  await page.locator('#impact svg.impact-chart').waitFor();
  const label = await page.locator('#impact svg.impact-chart').getAttribute('aria-label');
  const changed = Number(/spend_milestone_credit (\d+)/.exec(label)[1]);
  assert.ok(changed > 0, `some accounts flip: ${label}`);
  const row = page.locator('table.totals tr', { hasText: 'spend_milestone_credit' });
  const [before, after] = await row.locator('td').allTextContents().then((c) => c.slice(1));
  assert.notEqual(before, after);
});

scenario('a save persists on disk, atomically', async (page) => {
  await openFile(page, 'track.credo');
  await replaceInEditor(page, '# Which credit track', '# Saved from the studio. Which credit track');
  assert.equal(await page.locator('#files button.dirty').count(), 1, 'the edited file is marked');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => /Saved track\.credo/.test(document.getElementById('save-status').textContent));
  const text = readFileSync(join(studio.policies, 'track.credo'), 'utf8');
  assert.match(text, /^# Saved from the studio\. Which credit track/);
  assert.deepEqual(readdirSync(studio.policies).filter((f) => f.endsWith('.tmp')), []);
  assert.equal(await page.locator('#files button.dirty').count(), 0, 'nothing is left unsaved');
});

scenario('a save of a set that does not check is refused and writes nothing', async (page) => {
  const before = readFileSync(join(studio.policies, 'forfeiture.credo'), 'utf8');
  await openFile(page, 'forfeiture.credo');
  await replaceInEditor(page, 'decision', 'decisoin');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => /^Refused/.test(document.getElementById('save-status').textContent));
  assert.match(await page.locator('#save-status').textContent(), /Refused: .*forfeiture\.credo/);
  assert.equal(readFileSync(join(studio.policies, 'forfeiture.credo'), 'utf8'), before);
});

scenario('completion and hover come from the language server analysis', async (page) => {
  const at = await page.evaluate(() => {
    const t = document.getElementById('source');
    const i = t.value.indexOf('agency.client_spend >= 150000') + 'agency.'.length;
    t.focus();
    t.setSelectionRange(i, i);
    return i;
  });
  assert.ok(at > 0);
  await page.keyboard.press('Control+Space');
  const list = page.getByRole('listbox', { name: 'Completions' });
  await list.waitFor();
  assert.match(await list.textContent(), /client_spend/);
  await page.keyboard.press('Escape');
  assert.equal(await list.isHidden(), true);
  await page.keyboard.press('Control+i');
  const tip = page.locator('#hover');
  await tip.waitFor();
  assert.match(await tip.textContent(), /client_spend|agency/);
});

scenario('keyboard-only use: choose a file, edit, complete, expand a trace and save', async (page) => {
  // Tab to the file list (bounded) and open track.credo with Enter.
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.textContent === 'track.credo');
  }
  assert.ok(found, 'the file list is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('file-title').textContent === 'track.credo');
  found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.id === 'source');
  }
  assert.ok(found, 'the editor is reachable with Tab');
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('# edited with the keyboard\n');
  await currentAnalysis(page);
  // Write an assertion, completing the field: the first item, taken with Enter.
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nassert credit_track is managed when account.crea');
  await page.keyboard.press('Control+Space');
  await page.getByRole('listbox', { name: 'Completions' }).waitFor();
  await page.keyboard.press('Enter');
  await page.keyboard.type(' == agency\n');
  await currentAnalysis(page);
  assert.match(await page.locator('#source').inputValue(), /assert credit_track is managed when account\.created_via == agency\n$/);
  await page.waitForFunction(() => /^The set checks/.test(document.getElementById('check-status').textContent));
  // The editor does not trap the focus: Tab leaves it.
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'source');
  // Reach a trace toggle and open it with Space.
  found = false;
  for (let i = 0; i < 120 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.classList.contains('trace-toggle'));
  }
  assert.ok(found, 'a trace toggle is reachable with Tab');
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-expanded')), 'true');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => /Saved track\.credo/.test(document.getElementById('save-status').textContent));
  assert.match(readFileSync(join(studio.policies, 'track.credo'), 'utf8'), /# edited with the keyboard/);
});

test('a JavaScript error on the page fails the scenario', { timeout: 60000 }, async () => {
  await assert.rejects(
    withPage(browser, studio.base, 'deliberate_error_check', async (page) => {
      await page.evaluate(() => setTimeout(() => { throw new Error('deliberate'); }, 0));
      await page.waitForTimeout(200);
    }),
    /JavaScript errors on the page:\npage error: deliberate/,
  );
});
