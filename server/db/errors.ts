/**
 * A write that references a row which is gone (SQLSTATE 23503, foreign_key_violation), as pg and
 * PGlite both report it: e.g. a post by a user deleted while the request was on its way.
 */
export function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === '23503';
}
