// The README's screenshot, made again from the page as it is:
// `CREDO_BIN=../../target/debug/credo node screenshot.mjs` writes
// docs/studio.png. A raised tier threshold with the outcome it changes and
// its trace, a what-if, the tests and snapshots, and the impact on the corpus.

import { join } from 'node:path';
import { launch, openFile, replaceInEditor, root, startStudio, waitOutcome } from './harness.mjs';

const studio = await startStudio({ inPlace: true });
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1290 } });
  page.setDefaultTimeout(15000);
  await page.goto(`${studio.base}/studio/`);
  await page.waitForSelector('body[data-ready="true"]');
  await openFile(page, 'agency_partner.credo');
  await replaceInEditor(page, '>= 50000 USD => 1500 USD', '>= 70000 USD => 1500 USD');
  await waitOutcome(page, 'spend_milestone_credit', '250.00 USD');
  const milestone = page.locator('#outcomes li[data-decision="spend_milestone_credit"]');
  await milestone.getByRole('button', { name: 'trace' }).click();
  const eligibility = page.locator('#outcomes li[data-decision="new_advertiser_credit"]');
  await eligibility.getByRole('button', { name: 'what if?' }).click();
  await eligibility.locator('.apply-whatif').first().waitFor();
  await page.getByRole('button', { name: 'Run tests' }).click();
  await page.locator('#snapshots-summary').waitFor();
  await page.locator('#impact svg.impact-chart').waitFor();
  await page.screenshot({ path: join(root, 'docs/studio.png'), fullPage: true });
  console.log('wrote docs/studio.png');
} finally {
  await browser.close();
  await studio.stop();
}
