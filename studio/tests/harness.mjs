// Starts `credo studio` on a copy of the shipped policies, on loopback and
// a free port, and opens pages in Debian's Chromium. Every wait is bounded.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const artifacts = join(here, 'artifacts');

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The studio on a copy of policies/ with the diff cases' corpus (a copy, or
 * with `{ inPlace: true }` the repository's own, named as in the README).
 */
export async function startStudio({ inPlace = false } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'credo-studio-'));
  const policies = join(work, 'policies');
  cpSync(join(root, 'policies'), policies, { recursive: true });
  const corpus = inPlace ? 'tests/cases/diff/corpus.jsonl' : join(work, 'corpus.jsonl');
  if (!inPlace) cpSync(join(root, 'tests/cases/diff/corpus.jsonl'), corpus);
  const port = await freePort();
  const binary = process.env.CREDO_BIN || join(root, 'target/debug/credo');
  const child = spawn(binary, ['studio', '--policies', policies, '--corpus', corpus,
    '--addr', `127.0.0.1:${port}`, '--no-watch'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  // At most 200 tries over 20 seconds.
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`credo studio exited: ${log}`);
    try {
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return { base, policies, child, log: () => log, stop: async () => { await stopStudio(child); rmSync(work, { recursive: true, force: true }); } };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`credo studio did not become ready: ${log}`);
}

async function stopStudio(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 50 && child.exitCode === null; i++) await sleep(100);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, timeout: 30000 });
}

/**
 * Opens the studio in a fresh context; every page error and console error
 * is collected and fails the scenario; a screenshot is kept on failure.
 */
export async function withPage(browser, base, name, body) {
  const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // A refusal the page shows (409, 422) is an answer, not an error; Chromium logs it anyway.
  const refusal = /^Failed to load resource: the server responded with a status of (409|422) /;
  page.on('console', (m) => {
    if (m.type() === 'error' && !refusal.test(m.text())) errors.push(`console error: ${m.text()}`);
  });
  try {
    await page.goto(`${base}/studio/`);
    await page.waitForSelector('body[data-ready="true"]');
    await body(page, errors);
    if (errors.length) throw new Error(`JavaScript errors on the page:\n${errors.join('\n')}`);
  } catch (error) {
    mkdirSync(artifacts, { recursive: true });
    const file = join(artifacts, `${name.replace(/[^a-z0-9]+/gi, '_')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    writeFileSync(`${file}.txt`, `${error.stack || error}\n${errors.join('\n')}\n`);
    throw error;
  } finally {
    await context.close();
  }
}

/** The number of analyses the page has drawn. */
export const analysed = (page) => page.evaluate(() => Number(document.body.dataset.analysed || 0));

/** Waits until the page has drawn an analysis after `since`. */
export async function nextAnalysis(page, since) {
  await page.waitForFunction((n) => Number(document.body.dataset.analysed || 0) > n, since, { timeout: 10000 });
}

/** Opens a policy file from the file list. */
export async function openFile(page, name) {
  await page.getByRole('button', { name: new RegExp(`^${name.replace('.', '\\.')}`) }).click();
  await page.waitForFunction((n) => document.getElementById('file-title').textContent === n, name);
}

/** Selects `find` in the editor and types `replacement` over it, key by key. */
export async function replaceInEditor(page, find, replacement) {
  const found = await page.evaluate((f) => {
    const t = document.getElementById('source');
    const i = t.value.indexOf(f);
    if (i < 0) return false;
    t.focus();
    t.setSelectionRange(i, i + f.length);
    return true;
  }, find);
  if (!found) throw new Error(`\`${find}\` is not in the editor`);
  await page.keyboard.type(replacement);
  await currentAnalysis(page);
}

/** Waits until the page shows an analysis of every edit made so far. */
export async function currentAnalysis(page) {
  await page.waitForFunction(() => {
    const d = document.body.dataset;
    return Number(d.analysedEdits ?? -1) >= Number(d.edits || 0);
  }, null, { timeout: 10000 });
}

/** The outcome shown for a decision. */
export const outcome = (page, id) => page.locator(`#outcomes li[data-decision="${id}"] .badge`).textContent();

export async function waitOutcome(page, id, expected) {
  await page.waitForFunction(([d, e]) => {
    const badge = document.querySelector(`#outcomes li[data-decision="${d}"] .badge`);
    return badge && badge.textContent === e;
  }, [id, expected], { timeout: 10000 });
}
