// Headless-browser check of a portcast report page, in Debian's Chromium driven by
// playwright-core (no browser download: the system binary is used).
//
//   node tests/browser/check_page.mjs <index.html> <screenshot.png>
//
// Opens the page from file:// with a fresh profile and every non-file request blocked, then
// fails (exit 1) unless:
//   - the page has at least one <img> and every one loaded (naturalWidth > 0);
//   - no console error, page error or failed request happened;
//   - nothing tried to reach the network;
//   - every relative link (CSV, PNG) names a file that exists;
//   - on a phone-sized viewport (390 px) the page does not scroll sideways (wide tables
//     scroll inside their own box).
// Writes a full-page screenshot at laptop size (1280 px wide) to <screenshot.png> and one at
// phone size beside it (<name>-phone.png).
//
// CHROMIUM=/path/to/chromium overrides the browser (default /usr/bin/chromium).

import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [indexArg, shotArg] = process.argv.slice(2);
if (!indexArg || !shotArg) {
  console.error('usage: node check_page.mjs <index.html> <screenshot.png>');
  process.exit(2);
}
const index = resolve(indexArg);
const shot = resolve(shotArg);
const phoneShot = shot.replace(/(\.png)?$/i, '-phone.png');
if (!existsSync(index)) {
  console.error(`no such page: ${index}`);
  process.exit(2);
}

const problems = [];
const profile = mkdtempSync(join(tmpdir(), 'portcast-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });

  // The page must work offline: anything but its own files is blocked and reported.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://') || url.startsWith('data:')) {
      return route.continue();
    }
    problems.push(`network request blocked: ${url}`);
    return route.abort();
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // Blocked requests are already reported above.
    if (req.url().startsWith('file://')) {
      problems.push(`failed to load ${req.url()}: ${req.failure()?.errorText}`);
    }
  });

  const response = await page.goto(pathToFileURL(index).href, { waitUntil: 'load' });
  if (response && !response.ok()) problems.push(`page load status ${response.status()}`);

  const images = await page.$$eval('img', (imgs) =>
    imgs.map((img) => ({
      src: img.getAttribute('src'),
      complete: img.complete,
      width: img.naturalWidth,
      height: img.naturalHeight,
      alt: img.getAttribute('alt') ?? '',
    })),
  );
  if (images.length === 0) problems.push('the page has no images');
  for (const img of images) {
    if (!img.complete || img.width === 0) problems.push(`image did not load: ${img.src}`);
    if (!img.alt.trim()) problems.push(`image without alt text: ${img.src}`);
  }

  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  let fileLinks = 0;
  for (const href of hrefs) {
    const url = new URL(href);
    if (url.protocol !== 'file:') {
      problems.push(`link leaves the report: ${href}`);
      continue;
    }
    const path = fileURLToPath(url);
    if (path === index) continue; // in-page anchors
    fileLinks += 1;
    if (!existsSync(path)) problems.push(`broken link: ${href}`);
  }

  await page.screenshot({ path: shot, fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  if (overflow.page > overflow.viewport + 1) {
    problems.push(`on a 390 px screen the page scrolls sideways (${overflow.page} px wide)`);
  }
  await page.screenshot({ path: phoneShot, fullPage: true });

  const loaded = images.filter((img) => img.complete && img.width > 0).length;
  console.log(
    `${loaded} of ${images.length} images loaded, ${fileLinks} file links checked; ` +
      `screenshots ${shot} and ${phoneShot}`,
  );
} catch (err) {
  problems.push(`browser check crashed: ${err?.stack ?? err}`);
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`browser check FAILED for ${index}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`browser check passed: ${index} (page directory ${dirname(index)})`);
