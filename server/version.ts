import pkg from '../package.json' with { type: 'json' };

/** The package version, reported by /health. */
export const version: string = pkg.version;
