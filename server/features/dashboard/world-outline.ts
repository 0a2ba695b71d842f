import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEquirectangular, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/** The map's drawing size: an equirectangular (plate carrée) world, 2:1. */
export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 480;

/**
 * The world's land as one SVG path, projected here once so that the browser needs no map code:
 * Natural Earth's 1:110m land (the `world-atlas` package, about 55 KB of TopoJSON, read from
 * disk) through d3-geo's equirectangular projection, which also cuts shapes at the antimeridian.
 * In this projection a point is x = (lon + 180) / 360 * width, y = (90 - lat) / 180 * height,
 * which the page computes for the posts itself.
 */
export function worldOutlinePath(): string {
  const require = createRequire(import.meta.url);
  const topology = JSON.parse(readFileSync(require.resolve('world-atlas/land-110m.json'), 'utf8')) as Topology<{ land: GeometryCollection }>;
  const land = feature(topology, topology.objects.land);
  const projection = geoEquirectangular()
    .scale(MAP_WIDTH / (2 * Math.PI))
    .translate([MAP_WIDTH / 2, MAP_HEIGHT / 2]);
  return geoPath(projection).digits(1)(land) ?? '';
}
