/**
 * Creating and dropping the database a URL names: for the test setups, the
 * bench and the cluster script. The statements run on the server's
 * maintenance database `postgres`, reached with the URL's host, user,
 * password and parameters (a database cannot create or drop itself).
 */
import pg from 'pg';

/** Drops the database of `databaseUrl` (ending its connections) and creates it again, empty. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  await onServer(databaseUrl, async (admin, name) => {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
}

/**
 * Creates the database of `databaseUrl` unless it exists; an existing one is
 * left as it is. Resolves true when this call created it, false when it was
 * there already (or another process created it at the same moment).
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  return onServer(databaseUrl, async (admin, name) => {
    const exists = async () =>
      Boolean((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount);
    if (await exists()) {
      return false;
    }
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      // Two creators at once: the loser gets duplicate_database, or a unique
      // violation on pg_database when the two catalogue inserts race.
      if (await exists()) {
        return false;
      }
      throw err;
    }
  });
}

/** Drops the database of `databaseUrl` if it exists, ending its connections. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  await onServer(databaseUrl, async (admin, name) => {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

/** Runs `work` on a connection to the maintenance database, with the name of the URL's database. */
async function onServer<T>(
  databaseUrl: string,
  work: (admin: pg.Client, name: string) => Promise<T>,
): Promise<T> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) {
    throw new Error(`no database name in ${redact(url)}`);
  }
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.href });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`cannot reach Postgres at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await work(admin, name);
  } finally {
    await admin.end();
  }
}

/** The URL with its password hidden, for messages. */
function redact(url: URL): string {
  const copy = new URL(url);
  if (copy.password) {
    copy.password = '***';
  }
  return copy.href;
}
