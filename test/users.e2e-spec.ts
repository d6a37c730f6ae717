import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { auth, createUser, type TestUser } from './factories/users.js';
import { startInstances, stopInstances, type Instance } from './setup/instances.js';
import { waitUntil } from './setup/wait.js';

describe('users over HTTP', () => {
  let instances: Instance[];
  let url: string;

  beforeAll(async () => {
    instances = await startInstances(1);
    url = instances[0].url;
  });
  afterAll(() => stopInstances(instances));

  it('sends security headers and no X-Powered-By, and bounds how long a request may take', async () => {
    const response = await request(url).get('/health/live').expect(200);
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.any(String),
    });
    const server = instances[0].app.getHttpServer();
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([
      66_000, 30_000, 65_000,
    ]);
  });

  describe('POST /users', () => {
    it('creates a user with a token, trimming the name (seed shape plus token)', async () => {
      const response = await request(url)
        .post('/users')
        .send({ name: '  Alice  ', avatar: 'https://example.com/avatar/alice.png' })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^user_/),
        name: 'Alice',
        avatar: 'https://example.com/avatar/alice.png',
        token: expect.any(String),
      });
    });

    it('accepts a missing or null avatar', async () => {
      const a = await request(url).post('/users').send({ name: 'NoAvatar' }).expect(201);
      const b = await request(url).post('/users').send({ name: 'NullAvatar', avatar: null }).expect(201);
      expect(a.body.avatar).toBeNull();
      expect(b.body.avatar).toBeNull();
    });

    it('keeps emoji, HTML- and SQL-looking names verbatim', async () => {
      const names = [
        'Zoë 👩‍💻',
        '<script>alert(1)</script>',
        "Robert'); DROP TABLE users;--",
        'محمد',
        '김민준',
        '🇫🇷 Léa',
      ];
      for (const name of names) {
        const created = await request(url).post('/users').send({ name }).expect(201);
        expect(created.body.name).toBe(name);
      }
    });

    it.each([
      ['an empty name', { name: '' }, 'name'],
      ['a whitespace-only name', { name: '   ' }, 'name'],
      ['a 65-character name', { name: 'x'.repeat(65) }, 'name'],
      ['a name that is not a string', { name: 42 }, 'name'],
      ['a missing name', {}, 'name'],
      ['a NUL character', { name: 'a\u0000b' }, 'NUL'],
      ['an unpaired surrogate', { name: 'a\udc00b' }, 'surrogate'],
      ['a zero-width space', { name: 'Al\u200Bice' }, 'visible'],
      ['a right-to-left override', { name: 'Alice\u202Enimda' }, 'visible'],
      ['a bidi isolate', { name: '\u2066Bob\u2069' }, 'visible'],
      ['a byte order mark inside', { name: 'Bo\uFEFFb' }, 'visible'],
      ['a tab inside', { name: 'Bo\tb' }, 'visible'],
      ['nothing but zero-width characters', { name: '\u200B\u200C\u200D' }, 'visible'],
      ['nothing but Hangul fillers', { name: '\u3164\u3164' }, 'visible'],
      ['nothing but combining marks', { name: '\u0301\u0301' }, 'visible'],
      ['an avatar that is not a URL', { name: 'A', avatar: 'not a url' }, 'avatar'],
      ['a non-http avatar', { name: 'A', avatar: 'javascript:alert(1)' }, 'avatar'],
      ['a NUL in the avatar', { name: 'A', avatar: 'https://x.io/\u0000' }, 'NUL'],
      ['an unpaired surrogate in the avatar', { name: 'A', avatar: 'https://x.io/?q=\ud800' }, 'surrogate'],
      ['an avatar over 2048 characters', { name: 'A', avatar: `https://x.io/${'a'.repeat(2040)}` }, 'avatar'],
      ['an unknown field', { name: 'A', admin: true }, 'admin'],
      ['a field named constructor', { name: 'A', constructor: 1 }, 'constructor'],
      ['a field named __proto__', JSON.parse('{"name": "A", "__proto__": {"admin": true}}'), '__proto__'],
    ])('refuses %s with 400 naming the field', async (_, body, field) => {
      const response = await request(url).post('/users').send(body).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.message.join(' ')).toContain(field);
    });

    it('lists every bad field at once', async () => {
      const response = await request(url).post('/users').send({ name: 7, avatar: 7, extra: 1 }).expect(400);
      const text = response.body.message.join(' ');
      expect(text).toContain('name');
      expect(text).toContain('avatar');
      expect(text).toContain('extra');
    });

    it('refuses malformed JSON, a JSON array, null and a 1 MB body without storing anything', async () => {
      const before = await countUsers();
      await request(url).post('/users').set('Content-Type', 'application/json').send('{"name":').expect(400);
      await request(url)
        .post('/users')
        .send([{ name: 'A' }])
        .expect(400);
      await request(url).post('/users').set('Content-Type', 'application/json').send('null').expect(400);
      await request(url)
        .post('/users')
        .send({ name: 'A', avatar: 'x'.repeat(1024 * 1024) })
        .expect(413)
        .expect(({ body }) =>
          expect(body).toEqual({
            statusCode: 413,
            message: 'request entity too large',
            error: 'Payload Too Large',
          }),
        );
      expect(await countUsers()).toBe(before);
    });
  });

  describe('GET /users', () => {
    let caller: TestUser;
    let others: TestUser[];
    const tag = `pg${Date.now()}`;

    beforeAll(async () => {
      caller = await createUser(url, `${tag} caller`);
      others = [];
      for (const name of ['c', 'a', 'b', 'a']) {
        others.push(await createUser(url, `${tag} ${name}`));
      }
    });

    it('needs a valid token', async () => {
      await request(url).get('/users').expect(401);
      await request(url).get('/users').set('Authorization', 'Bearer garbage').expect(401);
      const tampered = caller.token.slice(0, -2) + (caller.token.endsWith('AA') ? 'BB' : 'AA');
      await request(url).get('/users').set('Authorization', `Bearer ${tampered}`).expect(401);
      const forged = `${others[0].id}.${caller.token.split('.')[1]}`;
      await request(url).get('/users').set('Authorization', `Bearer ${forged}`).expect(401);
    });

    it('lists everyone but the caller in seed shape plus presence, by name then id, filtered by q', async () => {
      const response = await request(url)
        .get('/users')
        .query({ q: tag.toUpperCase() })
        .set(auth(caller))
        .expect(200);
      const expected = [...others]
        .sort((x, y) => (x.name === y.name ? (x.id < y.id ? -1 : 1) : x.name < y.name ? -1 : 1))
        .map(({ id, name, avatar }) => ({ id, name, avatar, online: false, lastSeenAt: null }));
      expect(response.body).toEqual(expected);
    });

    it('pages with limit and after, announcing the next page in a Link header', async () => {
      const seen: string[] = [];
      let path: string | null = `/users?q=${tag}&limit=3`;
      while (path) {
        const response = await request(url).get(path).set(auth(caller)).expect(200);
        seen.push(...response.body.map((u: TestUser) => u.id));
        const link = response.headers.link as string | undefined;
        path = link ? /<([^>]+)>; rel="next"/.exec(link)![1] : null;
      }
      expect(seen).toHaveLength(others.length);
      expect(new Set(seen).size).toBe(others.length);
    });

    it('treats q as text, not a pattern', async () => {
      const response = await request(url).get('/users').query({ q: '%' }).set(auth(caller)).expect(200);
      expect(response.body.every((u: TestUser) => u.name.includes('%'))).toBe(true);
    });

    it.each([
      ['limit=0'],
      ['limit=201'],
      ['limit=abc'],
      ['after=nope!'],
      ['after=user_unknown'],
      ['foo=1'],
      ['q=a%00b'],
    ])('refuses ?%s with 400', async (query) => {
      await request(url).get(`/users?${query}`).set(auth(caller)).expect(400);
    });
  });

  describe('origins', () => {
    it('answers allowed browser origins with CORS headers and refuses others with 403', async () => {
      const allowed = await request(url)
        .post('/users')
        .set('Origin', 'http://allowed.example')
        .send({ name: 'A' })
        .expect(201);
      expect(allowed.headers['access-control-allow-origin']).toBe('http://allowed.example');
      const refused = await request(url)
        .post('/users')
        .set('Origin', 'http://evil.example')
        .send({ name: 'B' })
        .expect(403);
      expect(refused.body).toEqual({ statusCode: 403, message: 'Origin not allowed', error: 'Forbidden' });
    });
  });

  async function countUsers(): Promise<number> {
    const [{ count }] = await instances[0].app
      .get(DataSource)
      .query('SELECT count(*)::int AS count FROM users');
    return count;
  }
});

describe('GET /users?q= on many users', () => {
  let instances: Instance[];
  let db: pg.Client;

  beforeAll(async () => {
    instances = await startInstances(1);
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    // 60,000 others: enough that the planner prefers the index to reading them all
    // (at 20,000 a sequential scan is still cheaper, and rightly chosen).
    await db.query(
      `INSERT INTO users (id, name) SELECT 'user_bulk' || i, 'bulk ' || md5(i::text) FROM generate_series(1, 60000) AS i`,
    );
    await db.query('ANALYZE users');
  });
  afterAll(async () => {
    await db.query(`DELETE FROM users WHERE id LIKE 'user_bulk%'`);
    await db.end();
    await stopInstances(instances);
  });

  const trigramScans = async () =>
    Number(
      (await db.query(`SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'users_name_trgm_idx'`))
        .rows[0].idx_scan,
    );

  it('finds a name by a substring through the trigram index, not by reading every user', async () => {
    const url = instances[0].url;
    const caller = await createUser(url, 'Searcher');
    const needle = await createUser(url, 'Quixotic Zebedee');
    const before = await trigramScans();
    const found = await request(url).get('/users?q=otic zeb').set(auth(caller)).expect(200);
    expect(found.body.map((u: TestUser) => u.id)).toEqual([needle.id]);
    // An idle backend flushes its index statistics to the view within 10 s.
    await waitUntil(async () => (await trigramScans()) > before, 15_000, 'the trigram index scanned');
  });
});
