import pg from 'pg';

/**
 * The pg pools TypeORM opens, seen through public API only: TypeORM takes
 * the `pg` module to use as its `driver` option, and this hands it one whose
 * Pool registers itself here; pg's Pool reports `totalCount`, `idleCount`
 * and `waitingCount`. (The alternative, sampling pg_stat_activity, costs a
 * query per scrape and cannot see clients waiting for a connection.)
 */
export class PostgresPools {
  private readonly pools = new Set<pg.Pool>();

  /** The `pg` module, but with a Pool that is counted here. */
  driver(): typeof pg {
    const pools = this.pools;
    class CountedPool extends pg.Pool {
      constructor(config?: pg.PoolConfig) {
        super(config);
        // Kept after it ends (TypeORM ends it at shutdown): an ended pool counts 0.
        pools.add(this);
      }
    }
    // Everything else (types, Client, native) as pg has it.
    return Object.create(pg, { Pool: { value: CountedPool } }) as typeof pg;
  }

  /** Connections lent out to a query right now. */
  get inUse(): number {
    return this.sum((pool) => pool.totalCount - pool.idleCount);
  }

  get idle(): number {
    return this.sum((pool) => pool.idleCount);
  }

  /** Queries waiting for a connection: a pool too small, or a database too slow. */
  get waiting(): number {
    return this.sum((pool) => pool.waitingCount);
  }

  private sum(count: (pool: pg.Pool) => number): number {
    let total = 0;
    for (const pool of this.pools) {
      total += count(pool);
    }
    return total;
  }
}
