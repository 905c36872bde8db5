// Renders an HTML report in headless Chromium (Debian's `chromium` through playwright-core)
// with every network request blocked, and reports what the page drew. Tests skip with a
// printed reason when /usr/bin/chromium is absent (CI installs it: apt-get install chromium).
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const why = `${CHROMIUM} is missing (apt-get install -y chromium, or set CHROMIUM_PATH): HTML rendering not checked`;
  process.stderr.write(`SKIP: ${why}\n`);
  return why;
}

export interface Rendered {
  chartsDrawn: number;
  /** per chart container: [id, canvas count, non-blank pixels sampled] */
  canvases: [string, number, number][];
  networkRequests: string[];
  errors: string[];
  title: string;
}

export async function renderInChromium(html: string): Promise<Rendered> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const networkRequests: string[] = [];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.route('**/*', (route) => {
      networkRequests.push(route.request().url());
      return route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.getAttribute('data-charts-drawn') !== '0', undefined, { timeout: 10_000 }).catch(() => {});
    const out = await page.evaluate(() => {
      const ids = Array.from(document.querySelectorAll('.chart')).map((e) => e.id);
      const canvases = ids.map((id) => {
        const cs = Array.from(document.querySelectorAll(`#${id} canvas`)) as HTMLCanvasElement[];
        let ink = 0;
        for (const c of cs) {
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0 || c.height === 0) continue;
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) ink++;
        }
        return [id, cs.length, ink] as [string, number, number];
      });
      return { chartsDrawn: Number(document.body.getAttribute('data-charts-drawn')), canvases, title: document.title };
    });
    return { ...out, networkRequests, errors };
  } finally {
    await browser.close();
  }
}
