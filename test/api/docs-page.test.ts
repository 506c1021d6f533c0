import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#lib/http/openapi.ts';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * `GET /docs` in a real headless browser: Debian's Chromium, which `.ci/run` installs. The test
 * fails rather than skips without it: a reference page nobody opened is not tested.
 */

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let system: LocalSystem;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  }
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-docs-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-docs-')),
    schedules: false,
    log: () => {},
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const operations = () => {
  const paths = openApiDocument().paths as Record<
    string,
    Record<string, { operationId: string; summary: string }>
  >;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })),
  );
};

describe('the API reference at /docs', () => {
  it('lists every operation of the document, loading nothing from anywhere else', async () => {
    // arrange
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    // act
    const res = await page.goto(`${system.url}/docs`, { waitUntil: 'load' });
    // assert
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.title()).toBe('shellgate API reference');
    const listed = await page.$$eval('section.operation', (sections) =>
      sections.map((s) => ({
        id: s.getAttribute('data-operation-id'),
        visible: s.getClientRects().length > 0,
        heading: s.querySelector('h3')?.textContent ?? '',
      })),
    );
    const expected = operations();
    expect(listed.map((s) => s.id).sort()).toEqual(expected.map((o) => o.operationId).sort());
    for (const op of expected) {
      const section = listed.find((s) => s.id === op.operationId)!;
      expect(section.visible, op.operationId).toBe(true);
      expect(section.heading).toContain(`${op.method} ${op.path}`);
    }
    // Every operation is in the navigation too, and every link to a schema lands on one.
    const nav = await page.$$eval('nav a[href^="#op-"]', (links) => links.length);
    expect(nav).toBe(expected.length);
    const broken = await page.$$eval('a[href^="#"]', (links) =>
      links
        .map((a) => a.getAttribute('href')!.slice(1))
        .filter((id) => id && !links[0]!.ownerDocument.getElementById(id)),
    );
    expect(broken).toEqual([]);
    expect(requested).toEqual([`${system.url}/docs`]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters the operations as one types', async () => {
    // arrange
    const page = await browser.newPage();
    await page.goto(`${system.url}/docs`);
    // act
    await page.fill('#filter', 'ssh');
    // assert
    const shown = await page.$$eval('section.operation', (sections) =>
      sections
        .filter((s) => s.getClientRects().length > 0)
        .map((s) => s.getAttribute('data-operation-id')),
    );
    expect(shown.sort()).toEqual(['createSSHSession', 'listSSHSessions', 'revokeSSHSession']);
    await page.fill('#filter', '');
    expect(await page.locator('section.operation:visible').count()).toBe(operations().length);
    await page.close();
  });
});
