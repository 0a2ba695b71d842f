import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../../server/db/db.ts';
import { loadMigrations, migrate, type Migration } from '../../server/db/migrate.ts';

const migrations: Migration[] = [
  { version: 1, name: 'widgets', sql: 'create table widgets (id integer primary key, name text not null);\ncreate index widgets_name on widgets (name);' },
  { version: 2, name: 'widgets_seed', sql: "insert into widgets values (1, 'first');" },
];

/** The same contract for every SQL store: PGlite always, PostgreSQL where it is installed. */
function dbContract(name: string, open: () => Promise<Db>) {
  describe(name, () => {
    let db: Db;
    afterAll(() => db?.close());

    it('applies migrations in order, records them, and never re-applies one', async () => {
      db = await open();
      expect(await migrate(db, migrations)).toEqual([1, 2]);
      expect(await migrate(db, migrations)).toEqual([]);
      expect(await db.query('select version, name from schema_migrations order by version')).toEqual([
        { version: 1, name: 'widgets' },
        { version: 2, name: 'widgets_seed' },
      ]);
      expect(await db.query('select count(*)::int as n from widgets')).toEqual([{ n: 1 }]);
    });

    it('a failing migration applies nothing', async () => {
      const bad: Migration = { version: 3, name: 'bad', sql: "insert into widgets values (2, 'x');\nselect no_such_function();" };
      await expect(migrate(db, [...migrations, bad])).rejects.toThrow();
      expect(await db.query('select count(*)::int as n from widgets')).toEqual([{ n: 1 }]);
      expect(await db.query('select version from schema_migrations where version = 3')).toEqual([]);
    });

    it('rolls a transaction back when it throws', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query("insert into widgets values (9, 'nine')");
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.query('select * from widgets where id = 9')).toEqual([]);
    });

    it('pings', async () => {
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });
}

dbContract('PGlite (memory)', () => createDb({ url: 'memory://' }));

const postgresUrl = inject('postgresUrl');
if (postgresUrl) {
  dbContract('PostgreSQL', async () => {
    // A database of its own, so files running at the same time never meet.
    const admin = await createDb({ url: postgresUrl });
    const name = `test_${randomUUID().replaceAll('-', '')}`;
    await admin.query(`create database ${name}`);
    await admin.close();
    return createDb({ url: postgresUrl.replace(/\/postgres$/, `/${name}`) });
  });
} else {
  it('PostgreSQL is not installed here, so only PGlite is covered', () => {
    expect(postgresUrl).toBeNull();
  });
}

it('the shipped migrations are numbered uniquely and apply on PGlite', async () => {
  const shipped = loadMigrations();
  expect(new Set(shipped.map((m) => m.version)).size).toBe(shipped.length);
  const db = await createDb({ url: 'memory://' });
  expect(await migrate(db)).toEqual(shipped.map((m) => m.version));
  await db.close();
});
