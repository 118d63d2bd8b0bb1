// The PostgreSQL server the scale-out tests will run on (support/postgres/): a throwaway cluster
// of Debian's server, reached with `pg` over loopback TCP like any other client process.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresServer, type PostgresServer } from './support/postgres/postgres-server.js';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL server for tests', () => {
  it('is a PostgreSQL server of 13 or later, on loopback', async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
      expect(Number(rows[0].server_version_num)).toBeGreaterThanOrEqual(130000);
    } finally {
      await client.end();
    }
  });

  it('keeps what several clients committed, and serializes a conflicting insert', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    try {
      await pool.query('CREATE TABLE slots (project_id int, slot int, name text, PRIMARY KEY (project_id, slot))');
      // Eight clients race for one slot: exactly one wins, the others see the conflict.
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => pool.query('INSERT INTO slots VALUES (1, 0, $1)', [`type${i}`])),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM slots');
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('stops on SIGINT (fast shutdown) and refuses connections after', async () => {
    const other = await startPostgresServer();
    expect(await other.stop()).not.toBeUndefined();
    const client = new pg.Client({ connectionString: other.url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
  });
});
