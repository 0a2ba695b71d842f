import { describe, expect, it } from 'vitest';
import { authDocs } from '../../server/features/auth/auth.openapi.ts';
import { createTestApp } from '../helpers/app.ts';

describe('auth OpenAPI route docs', () => {
  it('describe exactly the REST routes the app serves under /auth', async () => {
    const t = await createTestApp();
    try {
      const served = t.app.routes
        .filter((r) => r.path.startsWith('/auth/') && r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path}`)
        .sort();
      expect(authDocs.map((d) => `${d.method} ${d.path}`).sort()).toEqual(served);
      expect(served).toHaveLength(10);
      for (const doc of authDocs) expect(Object.keys(doc.responses).length, doc.path).toBeGreaterThan(1);
    } finally {
      await t.close();
    }
  });
});
