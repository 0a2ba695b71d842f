import { MAP_HEIGHT, MAP_WIDTH } from './world-outline.ts';

/**
 * The dashboard's HTML: a shell the page's script fills from `/admin/api/*`, and the login and
 * 403 pages that anyone else gets. Plain HTML with no inline script or style: every `<script>`
 * and stylesheet is a file under /admin/assets/ carrying the response's nonce, which the
 * Content-Security-Policy below names.
 */

/** The dashboard page's policy: its nonce-tagged files, requests to this origin, nothing else. */
export function dashboardContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const head = (title: string, nonce: string, extraStyles = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title}</title>
${extraStyles}<link rel="stylesheet" href="/admin/assets/dashboard.css" nonce="${nonce}"></head>`;

/** What an anonymous caller (or one whose session ended) gets, with status 401. */
export function loginPage(nonce: string): string {
  return `${head('Sign in: admin dashboard', nonce)}
<body class="narrow"><main id="main">
<h1>Admin dashboard</h1>
<p>Sign in with an account that has the admin role (granted with <code>npm run admin -- grant &lt;email&gt;</code>).</p>
<form id="login" novalidate>
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p id="login-error" class="error" role="alert"></p>
</form></main>
<script src="/admin/assets/login.js" nonce="${nonce}"></script></body></html>`;
}

/** What a signed-in caller without the admin role gets, with status 403: no figures at all. */
export function forbiddenPage(nonce: string): string {
  return `${head('Admins only', nonce)}
<body class="narrow"><main id="main">
<h1>Admins only</h1>
<p>You are signed in, but your account does not have the admin role, so the dashboard is not shown.
An operator can grant it with <code>npm run admin -- grant &lt;email&gt;</code>.</p>
</main></body></html>`;
}

/** A panel: a heading, the sentence saying what it shows, and its body. */
const panel = (id: string, title: string, about: string, body: string, wide = false) =>
  `<section class="panel${wide ? ' wide' : ''}" id="${id}" aria-labelledby="${id}-title" aria-busy="true">
<h2 id="${id}-title">${title}</h2><p class="about">${about}</p>${body}</section>`;

const windows = ['1h', '24h', '7d']
  .map((w) => `<button type="button" data-window="${w}" aria-pressed="${w === '24h'}">${w}</button>`)
  .join('');

/** The admin's page, rendered once per app; `outline` is the world's land as an SVG path. */
export function renderDashboardPage(outline: string): (nonce: string) => string {
  const body = `<body>
<a class="skip" href="#main">Skip to the panels</a>
<header><h1>redis-blog-api: admin dashboard</h1>
<p class="status"><span id="live" role="status" aria-live="polite">Connecting to live events…</span>
<span id="updated"></span>
<button type="button" id="signout">Sign out</button></p></header>
<main id="main">
<section class="counters" aria-label="Counters">
<div><span class="label">Active users today</span><b class="num" id="count-active">–</b></div>
<div><span class="label">Events, last 24 h</span><b class="num" id="count-events">–</b></div>
<div><span class="label">Posts on the map</span><b class="num" id="count-located">–</b></div>
<div><span class="label">Live events received</span><b class="num" id="count-live" data-value="0">0</b></div>
</section>
<div class="grid">
${panel('dau', 'Daily active users', 'Distinct signed-in users per UTC day over the last 30 days: one Redis bitmap per day, a bit per user id, counted with BITCOUNT.', '<div class="chart" id="dau-chart"></div><p class="note" id="dau-note"></p>', true)}
${panel('trending', 'Trending now', 'The most viewed posts in the chosen window, from hourly sorted-set buckets merged with ZUNIONSTORE; it updates live when the top 10 changes.', `<div class="switch" role="group" aria-label="Window">${windows}</div><ol class="rows" id="trending-list"></ol>`)}
${panel('authors', 'Top authors', 'Authors whose posts were viewed most in the same window (a sorted set of views per author), with your own rank.', '<p id="my-rank" class="note"></p><ol class="rows" id="authors-list"></ol>')}
${panel('retention', 'Weekly retention', 'Of the users active in each of the last four UTC weeks (BITOP OR of its daily bitmaps), the share active again in each of the 7 days after it, and in any of them (BITOP AND).', '<div class="scroll"><table id="cohorts"><caption class="sr">Retention by cohort and day</caption><thead></thead><tbody></tbody></table></div>', true)}
${panel('uniques', 'Unique visitors', 'Distinct visitors of the top posts of the last 7 days, counted with one HyperLogLog per post and day: estimates within a standard error of 0.81%.', '<div class="scroll"><table id="uniques-table"><thead><tr><th scope="col">Post</th><th scope="col" class="n">Views</th><th scope="col" class="n">Unique today</th><th scope="col" class="n">Unique, 7 days</th></tr></thead><tbody></tbody></table></div>')}
${panel('redis', 'Redis at a glance', 'From INFO (memory, commands per second), the app\'s post-cache counters, and XINFO on the event stream\'s analytics consumer group.', '<dl class="glance" id="glance"></dl>')}
${panel('map', 'Posts on the map', 'Posts written with a location (a Redis geo set, read with GEOSEARCH); each dot is sized by the post\'s views. The outline is Natural Earth\'s, drawn on the server.', `<svg id="map-svg" viewBox="0 0 ${MAP_WIDTH} ${MAP_HEIGHT}" role="img" aria-labelledby="map-title"><rect class="sea" width="${MAP_WIDTH}" height="${MAP_HEIGHT}"/><path class="land" d="${outline}"/><g id="map-points"></g></svg><details><summary>The posts as a table</summary><div class="scroll"><table id="map-table"><thead><tr><th scope="col">Post</th><th scope="col" class="n">Longitude</th><th scope="col" class="n">Latitude</th><th scope="col" class="n">Views</th></tr></thead><tbody></tbody></table></div></details><p class="note" id="map-note"></p>`, true)}
</div></main>`;
  return (nonce) =>
    `${head('Admin dashboard: redis-blog-api', nonce, `<link rel="stylesheet" href="/admin/assets/uPlot.min.css" nonce="${nonce}">\n`)}
${body}
<script src="/admin/assets/uPlot.min.js" nonce="${nonce}"></script>
<script src="/admin/assets/dashboard.js" nonce="${nonce}"></script></body></html>`;
}
