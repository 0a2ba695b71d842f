import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file the dashboard serves: where it is on disk and its media type. */
interface AssetSource {
  path: string;
  type: string;
}

const js = 'text/javascript; charset=utf-8';
const css = 'text/css; charset=utf-8';

/**
 * The dashboard's static files, served as they are on disk (no build step): its own script and
 * style, and uPlot's minified build and stylesheet from node_modules. Only these names are served;
 * anything else is a 404.
 */
function sources(): Map<string, AssetSource> {
  const own = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));
  const require = createRequire(import.meta.url);
  return new Map([
    ['dashboard.js', { path: own('dashboard.js'), type: js }],
    ['login.js', { path: own('login.js'), type: js }],
    ['dashboard.css', { path: own('dashboard.css'), type: css }],
    ['uPlot.min.js', { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: js }],
    ['uPlot.min.css', { path: require.resolve('uplot/dist/uPlot.min.css'), type: css }],
  ]);
}

export interface Asset {
  body: string;
  type: string;
}

/** Reads each asset on its first request and keeps it (a few tens of KB in all). */
export function createAssetStore() {
  let known: Map<string, AssetSource> | undefined;
  const loaded = new Map<string, Promise<Asset>>();
  return {
    /** The named asset, or null when there is no such asset. */
    get(name: string): Promise<Asset> | null {
      known ??= sources();
      const source = known.get(name);
      if (!source) return null;
      let asset = loaded.get(name);
      if (!asset) {
        asset = readFile(source.path, 'utf8').then((body) => ({ body, type: source.type }));
        // A failed read is tried again next time rather than remembered.
        asset.catch(() => loaded.delete(name));
        loaded.set(name, asset);
      }
      return asset;
    },
  };
}

export type AssetStore = ReturnType<typeof createAssetStore>;
