// Headless Chromium (Debian's, through playwright-core) for the tests that open the HTML pages.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Skip reason for the tests that need Chromium (false when present). */
export const needsChromium: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent`;
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu'];

/** Opens a local HTML file; the returned list fills with console errors and warnings, page errors and failed requests. */
export async function openLocalPage(browser: Browser, file: string, width: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}
