import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Cluster } from '../../scripts/cluster.js';

export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screens');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 800 };

/** One person: their own browser context (storage, network) and page, pinned to one instance. */
export interface Person {
  name: string;
  page: Page;
  /** The nginx affinity key that sends this page's socket to its instance. */
  affinity: string;
}

/**
 * Opens the service's page through nginx with `?affinity=`: the client
 * passes it to Socket.IO, so nginx's sticky hash sends this person's socket
 * to the chosen instance, as it would any client's; plain HTTP stays
 * round-robin over both, as in production.
 */
export async function openPage(
  browser: Browser,
  cluster: Cluster,
  name: string,
  affinity: string,
): Promise<Person> {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`));
  await page.goto(`${cluster.lbUrl}/?affinity=${affinity}`);
  return { name, page, affinity };
}

/** Joins with the keyboard alone: type the name, Enter. */
export async function join({ page, name }: Person): Promise<void> {
  const field = page.getByRole('textbox', { name: 'Your name' });
  await expect(field).toBeFocused();
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('textbox', { name: 'Search people' })).toBeVisible();
}

/** The texts of the message list, top to bottom. */
export const messages = (page: Page) => page.getByRole('list', { name: 'Messages' }).getByRole('listitem');

/** The message whose text is exactly `text` (its time and status are beside it, in the same item). */
export const message = (page: Page, text: string) =>
  messages(page).filter({ has: page.getByText(text, { exact: true }) });

export const roomButton = (page: Page, title: string | RegExp) =>
  page.getByRole('list', { name: 'Rooms' }).getByRole('button', { name: title });

/** No serious or critical axe-core violation on the page as it is. */
export async function expectAccessible(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(bad).toEqual([]);
}

/** Screenshots at desktop and phone size (test-results/screens, CI artifacts). */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
}

export async function atPhoneSize<T>(page: Page, body: () => Promise<T>): Promise<T> {
  await page.setViewportSize(PHONE);
  try {
    return await body();
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

/** The session the page keeps in localStorage: its user and token. */
export async function sessionOf(page: Page): Promise<{ user: { id: string }; token: string }> {
  // A string, evaluated in the page: this project's Node types know no localStorage.
  const raw = await page.evaluate<string>("localStorage.getItem('chat.session')");
  return JSON.parse(raw) as { user: { id: string }; token: string };
}
