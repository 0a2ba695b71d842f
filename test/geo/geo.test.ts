import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceSchema, nearbyListSchema } from '../../shared/geo.ts';
import { createContextInner } from '../../server/context.ts';
import { createCaller } from '../../server/router.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { author, createPost, getJson, postStores, type PostJson } from '../posts/helpers.ts';

const PALERMO = { longitude: 13.361389, latitude: 38.115556 };
const CATANIA = { longitude: 15.087269, latitude: 37.502669 };
const ROME = { longitude: 12.496366, latitude: 41.902782 };

let t: TestApp;
let writer: Awaited<ReturnType<typeof author>>;
let palermo: PostJson;
let catania: PostJson;
let nowhere: PostJson;
beforeAll(async () => {
  t = await createTestApp();
  writer = await author(t, 'geo@example.com');
  palermo = await createPost(t, writer.auth, { title: 'Palermo', content: 'c', location: PALERMO });
  catania = await createPost(t, writer.auth, { title: 'Catania', content: 'c', location: CATANIA });
  nowhere = await createPost(t, writer.auth, { title: 'nowhere', content: 'c' });
});
afterAll(() => t.close());

interface ErrorJson {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

async function nearby(query: string) {
  const { status, body } = await getJson<unknown>(t, `/geo/nearby?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return nearbyListSchema.parse(body).map((e) => ({ id: e.post.id, distance: e.distance }));
}
async function distance(from: number, to: number, unit = 'km') {
  return getJson<unknown>(t, `/geo/distance?from=${from}&to=${to}&unit=${unit}`);
}
const indexed = async () => (await t.redis.zrange(t.deps.keys.postLocations(), 0, -1)).map(Number).sort((a, b) => a - b);

describe('GEODIST: geo.distance', () => {
  it('Palermo and Catania are 166.27 km apart, in every unit', async () => {
    const km = await distance(palermo.id, catania.id);
    expect(km.status).toBe(200);
    const body = distanceSchema.parse(km.body);
    expect(body.unit).toBe('km');
    expect(body.distance).toBeCloseTo(166.27, 2);
    // Default unit km; metres, miles and feet convert as Redis does.
    expect(distanceSchema.parse((await getJson(t, `/geo/distance?from=${catania.id}&to=${palermo.id}`)).body).distance).toBeCloseTo(166.27, 2);
    expect(distanceSchema.parse((await distance(palermo.id, catania.id, 'm')).body).distance).toBeCloseTo(166_274.15, 0);
    expect(distanceSchema.parse((await distance(palermo.id, catania.id, 'mi')).body).distance).toBeCloseTo(166_274.15 / 1609.34, 2);
    expect(distanceSchema.parse((await distance(palermo.id, catania.id, 'ft')).body).distance).toBeCloseTo(166_274.15 / 0.3048, -1);
  });

  it('404 naming the post that does not exist or has no location', async () => {
    const missing = await distance(palermo.id, 999_999);
    expect(missing.status).toBe(404);
    expect((missing.body as ErrorJson).error).toMatchObject({ code: 'NOT_FOUND', message: 'Post 999999 not found', details: [{ field: 'to' }] });
    const unlocated = await distance(nowhere.id, catania.id);
    expect(unlocated.status).toBe(404);
    expect((unlocated.body as ErrorJson).error).toMatchObject({ message: `Post ${nowhere.id} has no location`, details: [{ field: 'from' }] });
  });
});

describe('GEOSEARCH: geo.nearby', () => {
  it('answers posts within the radius, nearest first, with distances in the unit asked for', async () => {
    // Redis' documented example: from (15, 37), Catania is 56.44 km away and Palermo 190.44 km.
    const both = await nearby('longitude=15&latitude=37&radius=200&unit=km');
    expect(both.map((e) => e.id)).toEqual([catania.id, palermo.id]);
    expect(both[0]!.distance).toBeCloseTo(56.4413, 3);
    expect(both[1]!.distance).toBeCloseTo(190.4424, 3);
    expect((await nearby('longitude=15&latitude=37&radius=100')).map((e) => e.id)).toEqual([catania.id]); // km by default
    expect((await nearby('longitude=15&latitude=37&radius=200&limit=1')).map((e) => e.id)).toEqual([catania.id]);
    const miles = await nearby('longitude=15&latitude=37&radius=200&unit=mi');
    expect(miles.map((e) => e.id)).toEqual([catania.id, palermo.id]);
    expect(miles[0]!.distance).toBeCloseTo(56_441.3 / 1609.34, 2);
    expect(await nearby('longitude=0&latitude=0&radius=1&unit=m')).toEqual([]);
  });

  it('answers whole posts, and the same through tRPC', async () => {
    const { body } = await getJson<{ post: PostJson }[]>(t, '/geo/nearby?longitude=13.36&latitude=38.11&radius=5');
    expect(body.map((e) => e.post)).toEqual([palermo]);
    const caller = createCaller(createContextInner(t.deps, t.services, { requestId: 'r', log: t.deps.logger, session: null, clientIp: '127.0.0.1', userAgent: '' }));
    expect((await caller.geo.nearby({ longitude: 15, latitude: 37, radius: 200, unit: 'km' })).map((e) => e.post.id)).toEqual([catania.id, palermo.id]);
    expect((await caller.geo.distance({ from: palermo.id, to: catania.id })).distance).toBeCloseTo(166.27, 2);
    await expect(caller.geo.nearby({ longitude: 15, latitude: 86, radius: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('bad input', () => {
  it('coordinates, radius and unit out of range are 400s naming the field', async () => {
    const cases: [string, string][] = [
      ['longitude=180.0001&latitude=0&radius=1', 'longitude'],
      ['longitude=-181&latitude=0&radius=1', 'longitude'],
      ['longitude=0&latitude=85.06&radius=1', 'latitude'],
      ['longitude=0&latitude=-85.05112879&radius=1', 'latitude'],
      ['longitude=abc&latitude=0&radius=1', 'longitude'],
      ['longitude=&latitude=0&radius=1', 'longitude'],
      ['latitude=0&radius=1', 'longitude'],
      ['longitude=0&latitude=0&radius=0', 'radius'],
      ['longitude=0&latitude=0&radius=-5', 'radius'],
      ['longitude=0&latitude=0&radius=20000.001', 'radius'],
      ['longitude=0&latitude=0&radius=20000001&unit=m', 'radius'],
      ['longitude=0&latitude=0&radius=12428&unit=mi', 'radius'],
      ['longitude=0&latitude=0&radius=65616798&unit=ft', 'radius'],
      ['longitude=0&latitude=0&radius=1&unit=yd', 'unit'],
      ['longitude=0&latitude=0&radius=1&unit=KM', 'unit'],
      ['longitude=0&latitude=0&radius=1&limit=0', 'limit'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await getJson<ErrorJson>(t, `/geo/nearby?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.code).toBe('VALIDATION_FAILED');
      expect(body.error.details?.map((d) => d.field), query).toEqual([field]);
    }
    // The edges themselves are accepted.
    expect(await nearby('longitude=-180&latitude=85.05112878&radius=20000')).toHaveLength(2); // 20,000 km: the whole Earth
    expect((await nearby('longitude=180&latitude=-85.05112878&radius=12427&unit=mi')).length).toBe(2);

    for (const [query, field] of [
      [`from=${palermo.id}&to=${catania.id}&unit=parsec`, 'unit'],
      [`from=0&to=${catania.id}`, 'from'],
      [`from=${palermo.id}`, 'to'],
    ] as const) {
      const { status, body } = await getJson<ErrorJson>(t, `/geo/distance?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.details?.map((d) => d.field)).toEqual([field]);
    }
  });

  it('a post with a location Redis cannot index is refused with 400, and nothing is written', async () => {
    const before = await postStores(t);
    for (const [location, field] of [
      [{ longitude: 13, latitude: 85.06 }, 'location.latitude'],
      [{ longitude: 180.5, latitude: 0 }, 'location.longitude'],
    ] as const) {
      const res = await jsonRequest(t.app, 'POST', '/posts', { title: 'off the map', content: 'c', location }, writer.auth);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorJson).error.details?.map((d) => d.field)).toEqual([field]);
      const put = await jsonRequest(t.app, 'PUT', `/posts/${palermo.id}`, { location }, writer.auth);
      expect(put.status).toBe(400);
    }
    expect(await postStores(t)).toEqual(before);
  });
});

describe('the location index follows the posts', () => {
  it('create, move, remove the location, delete: the Geo set changes with SQL', async () => {
    const moving = await createPost(t, writer.auth, { title: 'moving', content: 'c', location: CATANIA });
    expect(await indexed()).toEqual([palermo.id, catania.id, moving.id]);

    // Moved to Rome: found near Rome, no longer near Catania.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${moving.id}`, { location: ROME }, writer.auth)).status).toBe(200);
    expect((await nearby(`longitude=${ROME.longitude}&latitude=${ROME.latitude}&radius=1`)).map((e) => e.id)).toEqual([moving.id]);
    expect((await nearby(`longitude=${CATANIA.longitude}&latitude=${CATANIA.latitude}&radius=1`)).map((e) => e.id)).toEqual([catania.id]);
    const [pos] = await t.redis.geopos(t.deps.keys.postLocations(), String(moving.id));
    expect(Number(pos![0])).toBeCloseTo(ROME.longitude, 5);
    expect(Number(pos![1])).toBeCloseTo(ROME.latitude, 5);

    // A change that does not touch the location keeps it.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${moving.id}`, { title: 'renamed' }, writer.auth)).status).toBe(200);
    expect(await indexed()).toEqual([palermo.id, catania.id, moving.id]);

    // Location removed: out of the index, and GEODIST says why.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${moving.id}`, { location: null }, writer.auth)).status).toBe(200);
    expect(await indexed()).toEqual([palermo.id, catania.id]);
    expect(((await distance(moving.id, palermo.id)).body as ErrorJson).error.message).toBe(`Post ${moving.id} has no location`);

    // Given one again, then deleted.
    await jsonRequest(t.app, 'PUT', `/posts/${moving.id}`, { location: PALERMO }, writer.auth);
    expect((await distance(moving.id, palermo.id)).body).toEqual({ distance: 0, unit: 'km' });
    expect((await jsonRequest(t.app, 'DELETE', `/posts/${moving.id}`, undefined, writer.auth)).status).toBe(200);
    expect(await indexed()).toEqual([palermo.id, catania.id]);
    expect((await distance(moving.id, palermo.id)).status).toBe(404);
  });

  it('another user cannot move a post: 403 and the index is unchanged', async () => {
    const stranger = await author(t, 'stranger@example.com');
    const res = await jsonRequest(t.app, 'PUT', `/posts/${palermo.id}`, { location: ROME }, stranger.auth);
    expect(res.status).toBe(403);
    const [pos] = await t.redis.geopos(t.deps.keys.postLocations(), String(palermo.id));
    expect(Number(pos![0])).toBeCloseTo(PALERMO.longitude, 5);
  });

  it('without its ready marker (Redis lost its data) the index is rebuilt from SQL before answering', async () => {
    const k = t.deps.keys;
    await t.redis.del(k.postIndexReady(), k.postLocations());
    expect((await nearby('longitude=15&latitude=37&radius=200')).map((e) => e.id)).toEqual([catania.id, palermo.id]);
    expect(await t.redis.exists(k.postIndexReady())).toBe(1);
    expect(await indexed()).toEqual([palermo.id, catania.id]);
  });
});
