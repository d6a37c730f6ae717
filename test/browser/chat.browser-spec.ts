import { expect, test, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startCluster, type Cluster } from '../../scripts/cluster.js';
import { recreateDatabase } from '../../scripts/database.js';
import { affinityKeysPerInstance, ProcessLog, socketRequestsWithAffinity } from '../cluster/helpers.js';
import {
  atPhoneSize,
  expectAccessible,
  join,
  message,
  messages,
  openPage,
  roomButton,
  sessionOf,
  snap,
  type Person,
} from './helpers.js';

/**
 * Two people, each in their own browser context, each pinned to a different
 * instance of a two-instance cluster behind nginx, talking through the web
 * client the service serves. One story, told in order.
 */
test.describe.configure({ mode: 'serial' });

const DATABASE_URL =
  process.env.TEST_BROWSER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/chat_browser_test';
const tag = Math.random().toString(36).slice(2, 6);
const processLog = new ProcessLog();
let cluster: Cluster;
let ann: Person;
let bob: Person;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  await recreateDatabase(DATABASE_URL);
  cluster = await startCluster({
    instances: 2,
    port: 0,
    basePort: 0,
    log: processLog.push,
    env: {
      DATABASE_URL,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      AUTH_SECRET: 'browser-test-secret-that-is-at-least-32-characters',
      // Other origins only: the page is same-origin and must work anyway.
      CORS_ORIGINS: 'https://elsewhere.example',
      // The history test writes 80 messages at once.
      RATE_LIMIT_BURST: '200',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '2000',
    },
  });
  const [first, second] = await affinityKeysPerInstance(cluster);
  ann = await openPage(browser, cluster, `Ann ${tag}`, first);
  bob = await openPage(browser, cluster, `Bob ${tag}`, second);
});

test.afterAll(async () => {
  await ann?.page.context().close();
  await bob?.page.context().close();
  await cluster?.stop();
});

// eslint-disable-next-line no-empty-pattern -- Playwright wants its fixtures destructured, even none.
test.afterEach(({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    console.log(processLog.tail(40));
  }
});

test('ships under 150 KB of gzipped JavaScript', () => {
  const assets = path.resolve(import.meta.dirname, '../../dist/web/assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const gzipped = js.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(assets, f))).length, 0);
  console.log(`web client: ${js.length} JS file(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`);
  expect(gzipped).toBeLessThan(150 * 1024);
});

test('join, find each other, talk both ways, see typing, the unread badge and then "seen"', async () => {
  await expectAccessible(ann.page);
  await snap(ann.page, '01-join');
  await join(ann);
  await join(bob);

  // Keyboard only: search, Tab to the person, Enter opens the direct room with the composer focused.
  await ann.page.getByRole('textbox', { name: 'Search people' }).fill(bob.name);
  await expect(ann.page.getByRole('list', { name: 'People' }).getByRole('listitem')).toHaveCount(1);
  await ann.page.keyboard.press('Tab');
  await ann.page.keyboard.press('Enter');
  await expect(ann.page.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await ann.page.keyboard.type('Hi Bob');
  await ann.page.keyboard.press('Enter');
  await expect(message(ann.page, 'Hi Bob')).toContainText('Sent');

  await expect(roomButton(bob.page, new RegExp(ann.name))).toHaveAccessibleName(/1 unread/);
  await expect(roomButton(bob.page, new RegExp(ann.name))).toContainText('Hi Bob');
  await roomButton(bob.page, new RegExp(ann.name)).click();
  await expect(message(bob.page, 'Hi Bob')).toBeVisible();
  await expect(roomButton(bob.page, new RegExp(ann.name))).not.toHaveAccessibleName(/unread/);
  await expect(message(ann.page, 'Hi Bob')).toContainText('Seen');
  await expect(ann.page.locator('.room-header')).toContainText('Online');

  await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hello Ann', { delay: 30 });
  await expect(ann.page.getByText(`${bob.name} is typing`)).toBeVisible();
  await bob.page.getByRole('button', { name: 'Send' }).click();
  await expect(message(ann.page, 'Hello Ann')).toBeVisible();
  await expect(ann.page.getByText(`${bob.name} is typing`)).toBeHidden();
  await expect(messages(ann.page)).toContainText(['Hi Bob', 'Hello Ann']);
  await expect(messages(bob.page)).toContainText(['Hi Bob', 'Hello Ann']);
  await expect(message(bob.page, 'Hello Ann')).toContainText('Seen');

  await expectAccessible(ann.page);
  await expectAccessible(bob.page);
  await snap(ann.page, '02-direct-room-ann');
  await snap(bob.page, '02-direct-room-bob');
});

test('edit and delete own messages, seen on the other side', async () => {
  await message(ann.page, 'Hi Bob').getByRole('button', { name: 'Edit' }).click();
  const editBox = ann.page.getByRole('textbox', { name: 'Edit message' });
  await expect(editBox).toBeFocused();
  await editBox.fill('Hi Bob, how are you?');
  await editBox.press('Enter');
  await expect(message(bob.page, 'Hi Bob, how are you?')).toContainText('edited');

  await sendFrom(ann.page, 'oops, wrong room');
  await expect(message(bob.page, 'oops, wrong room')).toBeVisible();
  await message(ann.page, 'oops, wrong room').getByRole('button', { name: 'Delete' }).click();
  await expect(message(bob.page, 'oops, wrong room')).toHaveCount(0);
  await expect(message(bob.page, 'Message deleted')).toHaveCount(1);
  await expect(message(ann.page, 'Message deleted')).toHaveCount(1);
  await snap(bob.page, '03-edited-and-deleted');
});

test('offline while the other sends and edits: back online, everything is there in order', async () => {
  await bob.page.context().setOffline(true);
  await expect(bob.page.getByRole('status')).toContainText('You are offline');

  for (const text of ['while away 1', 'while away 2', 'while away 3']) {
    await sendFrom(ann.page, text);
  }
  await message(ann.page, 'while away 2').getByRole('button', { name: 'Edit' }).click();
  await ann.page.getByRole('textbox', { name: 'Edit message' }).fill('while away 2, corrected');
  await ann.page.getByRole('textbox', { name: 'Edit message' }).press('Enter');
  await expect(message(ann.page, 'while away 2, corrected')).toContainText('edited');
  await expect(message(bob.page, 'while away 1')).toHaveCount(0);
  await snap(bob.page, '04-offline');

  await bob.page.context().setOffline(false);
  await expect(bob.page.getByText('You are offline')).toHaveCount(0);
  await expect(messages(bob.page)).toContainText([
    'Hi Bob, how are you?',
    'Hello Ann',
    'Message deleted',
    'while away 1',
    'while away 2, corrected',
    'while away 3',
  ]);
  await expect(message(bob.page, 'while away 2, corrected')).toContainText('edited');
  await expect(message(ann.page, 'while away 3')).toContainText('Seen');
});

test('a reload keeps the session', async () => {
  await bob.page.reload();
  await expect(bob.page.getByRole('textbox', { name: 'Search people' })).toBeVisible();
  await expect(bob.page.getByRole('textbox', { name: 'Your name' })).toHaveCount(0);
  await roomButton(bob.page, new RegExp(ann.name)).click();
  await expect(messages(bob.page)).toContainText(['Hello Ann', 'while away 3']);
  await sendFrom(bob.page, 'still me after a reload');
  await expect(message(ann.page, 'still me after a reload')).toBeVisible();
});

test('history loads older pages on scrolling up', async () => {
  const { token } = await sessionOf(ann.page);
  const roomId = await directRoomId(ann.page);
  for (let i = 1; i <= 80; i++) {
    const response = await fetch(`${cluster.lbUrl}/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messageId: `old-${tag}-${i}`, content: `old message ${i}` }),
    });
    expect(response.status).toBe(201);
  }
  await bob.page.reload();
  await roomButton(bob.page, new RegExp(ann.name)).click();
  await expect(message(bob.page, 'old message 80')).toBeVisible();
  await expect(message(bob.page, 'old message 1')).toHaveCount(0);
  // Scroll up until the first page is in: each time near the top reads the page above.
  await expect
    .poll(
      async () => {
        await bob.page.locator('.scroller').evaluate((el) => el.scrollTo({ top: 0 }));
        return message(bob.page, 'old message 1').count();
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  await expect(messages(bob.page)).toContainText([
    'Hi Bob',
    'old message 1',
    'old message 2',
    'old message 80',
  ]);
  await expect(message(bob.page, 'old message 40')).toHaveCount(1);
});

test('a named group by picking several people; add someone, and leave', async () => {
  const [cy, dee] = await Promise.all([signUp(`Cy ${tag}`), signUp(`Dee ${tag}`)]);
  await ann.page.getByRole('textbox', { name: 'Search people' }).fill(tag);
  const people = ann.page.getByRole('list', { name: 'People' });
  await people.getByRole('checkbox', { name: `Pick ${bob.name} for a group` }).check();
  await people.getByRole('checkbox', { name: `Pick ${cy.name} for a group` }).check();
  await ann.page.getByRole('textbox', { name: 'Group name' }).fill(`Trip ${tag}`);
  await ann.page.getByRole('button', { name: 'Create group of 3' }).click();
  await expect(ann.page.getByRole('heading', { name: `Trip ${tag}` })).toBeVisible();
  await sendFrom(ann.page, 'Where shall we go?');

  await roomButton(bob.page, new RegExp(`Trip ${tag}`)).click();
  await expect(message(bob.page, 'Where shall we go?')).toContainText(ann.name);
  await expect(bob.page.locator('.room-header')).toContainText('3 people');

  await ann.page.getByRole('button', { name: 'Add people' }).click();
  await ann.page.getByRole('textbox', { name: 'Find people to add' }).fill(dee.name);
  await ann.page
    .getByRole('list', { name: 'People to add' })
    .getByRole('checkbox', { name: dee.name })
    .check();
  await ann.page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(ann.page.locator('.room-header')).toContainText('4 people');
  await expect(bob.page.locator('.room-header')).toContainText('4 people');
  await expect(bob.page.locator('.room-header')).toContainText(dee.name);
  await expectAccessible(ann.page);
  await snap(ann.page, '05-group');

  await bob.page.getByRole('button', { name: 'Leave group' }).click();
  await expect(roomButton(bob.page, new RegExp(`Trip ${tag}`))).toHaveCount(0);
  await expect(ann.page.locator('.room-header')).toContainText('3 people');
  await expect(ann.page.locator('.room-header')).not.toContainText(bob.name);
});

test('a phone-sized screen shows one pane at a time', async () => {
  await atPhoneSize(ann.page, async () => {
    const rooms = ann.page.getByRole('list', { name: 'Rooms' });
    const list = ann.page.getByRole('list', { name: 'Messages' });
    await expect(list).toBeVisible();
    await expect(rooms).toBeHidden();
    await ann.page.getByRole('button', { name: 'Rooms', exact: true }).click();
    await expect(rooms).toBeVisible();
    await expect(list).toBeHidden();
    await expectAccessible(ann.page);
    await roomButton(ann.page, new RegExp(bob.name)).click();
    await expect(list).toBeVisible();
    await expect(rooms).toBeHidden();
    await expectAccessible(ann.page);
  });
});

test("each person's socket was served by their own instance, reconnects included", async () => {
  // nginx logs a polling request at once and a WebSocket when it closes:
  // every request so far, from the joins, the reloads and the reconnects.
  for (const [person, instance] of [
    [ann, cluster.instances[0].name],
    [bob, cluster.instances[1].name],
  ] as const) {
    const served = await socketRequestsWithAffinity(cluster, person.affinity);
    expect(served.length).toBeGreaterThan(0);
    expect(new Set(served.map((r) => r.instance))).toEqual(new Set([instance]));
  }
});

test('a send while the service is stopped shows "not sent"; its retry is stored once', async () => {
  await expect(message(ann.page, 'still me after a reload')).toBeVisible();
  await Promise.all(cluster.instances.map((instance) => instance.stop()));
  await expect(ann.page.getByRole('status')).toContainText('You are offline');

  await sendFrom(ann.page, 'sent while the service was down');
  const failed = message(ann.page, 'sent while the service was down');
  await expect(failed).toContainText('Not sent');
  await snap(ann.page, '06-not-sent');

  await Promise.all(cluster.instances.map((instance) => instance.start()));
  await expect(ann.page.getByText('You are offline')).toHaveCount(0, { timeout: 20_000 });
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(failed).not.toContainText('Not sent');
  await expect(failed).toContainText(/Sent|Seen/);
  // Bob left the group in the story above: he opens his room with Ann again.
  await roomButton(bob.page, new RegExp(ann.name)).click();
  await expect(message(bob.page, 'sent while the service was down')).toHaveCount(1, { timeout: 20_000 });

  const { token } = await sessionOf(ann.page);
  const roomId = await directRoomId(ann.page);
  const history = (await (
    await fetch(`${cluster.lbUrl}/rooms/${roomId}/messages?limit=10`, {
      headers: { Authorization: `Bearer ${token}` },
    })
  ).json()) as { content: string }[];
  expect(history.filter((m) => m.content === 'sent while the service was down')).toHaveLength(1);
});

async function sendFrom(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await expect(message(page, text).first()).toBeVisible();
}

async function signUp(name: string): Promise<{ id: string; name: string }> {
  const response = await fetch(`${cluster.lbUrl}/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; name: string };
}

/** The direct room of Ann and Bob, as Ann's page knows it. */
async function directRoomId(page: Page): Promise<string> {
  const { token } = await sessionOf(page);
  const rooms = (await (
    await fetch(`${cluster.lbUrl}/rooms`, { headers: { Authorization: `Bearer ${token}` } })
  ).json()) as { id: string; participants: unknown[] }[];
  return rooms.find((r) => r.participants.length === 2)!.id;
}
