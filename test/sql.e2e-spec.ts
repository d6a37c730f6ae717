import { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { PostgresSql } from '../src/database/sql.js';

/** Named statements on a pool of one connection, against the test database. */
describe('PostgresSql.prepared', () => {
  let db: DataSource;
  let sql: PostgresSql;

  beforeAll(async () => {
    const url = process.env.DATABASE_URL!;
    db = await new DataSource(dataSourceOptions({ url, dataDir: '', poolSize: 1 })).initialize();
    sql = new PostgresSql(db, { databaseUrl: url, dataDir: '' } as AppConfig);
  });

  afterAll(() => db.destroy());

  const backend = async () =>
    (await sql.prepared<{ pid: number }>('backend-pid', 'SELECT pg_backend_pid() AS pid', []))[0].pid;

  it('answers the rows of a named statement', async () => {
    const rows = await sql.prepared<{ n: number }>('plus-one', 'SELECT $1::int + 1 AS n', [41]);
    expect(rows).toEqual([{ n: 42 }]);
  });

  it('keeps the connection, and its prepared statements, after a statement fails (a retried key)', async () => {
    const before = await backend();
    await expect(sql.prepared('divide', 'SELECT 1 / $1::int AS n', [0])).rejects.toMatchObject({
      code: '22012',
    });
    // The same statement again runs on the same server process: nothing was reconnected.
    expect(await backend()).toBe(before);
    await expect(sql.prepared('divide', 'SELECT 1 / $1::int AS n', [1])).resolves.toEqual([{ n: 1 }]);
  });
});
