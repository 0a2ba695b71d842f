import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { requireAdmin } from '../auth/auth.guards.ts';
import { dashboardPage, map, overview, trending } from './dashboard.openapi.ts';
import { dashboardContentSecurityPolicy, forbiddenPage, loginPage, renderDashboardPage } from './dashboard-page.ts';
import type { DashboardService } from './dashboard.service.ts';
import { createAssetStore } from './static-assets.ts';
import { worldOutlinePath } from './world-outline.ts';

/** Which page the caller gets: the dashboard, or why not. */
function pageFor(c: Context<AppEnv>): 'dashboard' | 'login' | 'forbidden' {
  try {
    requireAdmin(c);
    return 'dashboard';
  } catch (err) {
    if (err instanceof AppError && err.appCode === 'UNAUTHORIZED') return 'login';
    if (err instanceof AppError && err.appCode === 'FORBIDDEN') return 'forbidden';
    throw err;
  }
}

/**
 * `GET /admin`: the dashboard for a signed-in admin, the login form (401) for anyone without a
 * live session, a 403 page for everyone else; `GET /admin/assets/:name`, its static files; and
 * `GET /admin/api/*`, the figures it draws, admins only (401/403 in the shared error shape).
 * The page and the figures are never cached (`no-store`). Defined in dashboard.openapi.ts
 * (the page and the figures; its static files are not API).
 */
export function dashboardRoutes(dashboard: DashboardService) {
  const assets = createAssetStore();
  // Projected on the first visit, not when the app is built: start-up reads no map.
  let page: ((nonce: string) => string) | undefined;

  const app = new Hono<AppEnv>();
  serve(app, dashboardPage, (c) => {
    const which = pageFor(c);
    const nonce = randomBytes(16).toString('base64');
    c.header('Content-Security-Policy', dashboardContentSecurityPolicy(nonce));
    c.header('Cache-Control', 'no-store');
    if (which === 'login') return c.html(loginPage(nonce), 401);
    if (which === 'forbidden') return c.html(forbiddenPage(nonce), 403);
    page ??= renderDashboardPage(worldOutlinePath());
    return c.html(page(nonce));
  });
  app.get('/admin/assets/:name', async (c) => {
    const asset = await assets.get(c.req.param('name'));
    if (!asset) throw new AppError('NOT_FOUND', 'No such dashboard asset');
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });
  serve(
    app,
    overview,
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await dashboard.overview());
    },
    requireAdmin,
  );
  serve(
    app,
    trending,
    async (c, { query, caller }) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await dashboard.trending(query.window, caller.userId));
    },
    requireAdmin,
  );
  serve(
    app,
    map,
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await dashboard.map());
    },
    requireAdmin,
  );
  return app;
}
