// Keystroke to updated outcome in Chromium: `node bench.mjs [N]` with
// CREDO_BIN naming the binary (the release build for the figures). Each
// edit is a real keystroke; the page times it from the input event to the
// moment the outcomes are redrawn from the answer (window.studioMetrics).
// The baseline, in the same run: a GET /healthz round trip from the page.

import { launch, openFile, startStudio } from './harness.mjs';

const N = Number(process.argv[2] || 120);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const studio = await startStudio();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  await page.goto(`${studio.base}/studio/`);
  await page.waitForSelector('body[data-ready="true"]');
  await openFile(page, 'agency_partner.credo');
  const latencies = () => page.evaluate(() => window.studioMetrics.latencies.length);
  const caretAt = (find, delta) => page.evaluate(([f, d]) => {
    const t = document.getElementById('source');
    const i = t.value.indexOf(f) + d;
    t.focus();
    t.setSelectionRange(i, i + 1);
  }, [find, delta]);
  // Varied edits, each keeping the set checking: a threshold digit, a
  // character in a comment and its removal, a fact in the form.
  const edits = [
    async (i) => { await caretAt('client_spend >= 1', 'client_spend >= 1'.length); await page.keyboard.type(String(5 + (i % 4))); },
    async () => { await caretAt('# example tier', 2); await page.keyboard.type('E'); },
    async () => { await caretAt('# Example tier', 2); await page.keyboard.type('e'); },
    async (i) => { await page.locator('#fact-agency-client_spend').focus(); await page.keyboard.press('End'); await page.keyboard.press('Backspace'); await page.keyboard.type(String(i % 10)); },
  ];
  for (let i = 0; i < N; i++) {
    const before = await latencies();
    await edits[i % edits.length](i);
    // Bounded: at most 5 seconds for each edit.
    await page.waitForFunction((n) => window.studioMetrics.latencies.length > n, before, { timeout: 5000 });
    await page.waitForTimeout(30);
  }
  const measured = await page.evaluate(() => window.studioMetrics.latencies);
  const rtt = await page.evaluate(async (n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await (await fetch('/healthz')).json();
      out.push(performance.now() - t);
    }
    return out;
  }, 200);
  // The server's share: the same analyse request, sent from the page, no redraw.
  const analyseRtt = await page.evaluate(async (n) => {
    const files = [...document.querySelectorAll('#files button')].map((b) => b.textContent);
    const texts = await (await fetch('/v1/studio/files')).json();
    const body = JSON.stringify({ files: texts.files, facts: texts.examples[0].facts });
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await (await fetch('/v1/studio/analyse', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
      out.push(performance.now() - t);
    }
    return files.length ? out : [];
  }, 100);
  const keystroke = measured.slice(-N);
  const report = {
    edits: keystroke.length,
    keystroke_to_outcome_ms: { p50: pct(keystroke, 50), p95: pct(keystroke, 95), max: Math.max(...keystroke) },
    baseline_healthz_rtt_ms: { p50: pct(rtt, 50), p95: pct(rtt, 95) },
    analyse_request_ms: { p50: pct(analyseRtt, 50), p95: pct(analyseRtt, 95) },
  };
  report.ratio_p50 = report.keystroke_to_outcome_ms.p50 / report.baseline_healthz_rtt_ms.p50;
  console.log(JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await studio.stop();
}
