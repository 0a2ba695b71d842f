// The admin dashboard's script: fetches /admin/api/* (admins only), draws the panels, and keeps
// trending and the counters current from the live events at /events (Server-Sent Events).
// Plain browser JavaScript, served as it is (no build step); uPlot is loaded before it.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  // The viewer's locale and time zone: Intl defaults to both.
  const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const full = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
  const clock = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  // UTC days are calendar days, not instants: shown as named, whatever the viewer's zone.
  const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const dayLabel = (iso) => day.format(new Date(`${iso}T00:00:00Z`));

  /** Writes a number for people (12.3K) and keeps the exact one in data-value and the tooltip. */
  function setNumber(el, value) {
    el.dataset.value = String(value);
    el.textContent = compact.format(value);
    el.title = full.format(value);
  }
  function bytes(n) {
    const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return new Intl.NumberFormat(undefined, { style: 'unit', unit: units[i], unitDisplay: 'short', maximumFractionDigits: 1 }).format(n);
  }
  const share = (v) => (v === null ? '–' : percent.format(v));
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const numberCell = (value) => {
    const td = el('td', { class: 'n num' });
    setNumber(td, value);
    return td;
  };

  /** GET a figure set; a lost session or role shows the login or 403 page by reloading. */
  async function get(path) {
    const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (res.status === 401 || res.status === 403) {
      location.reload();
      throw new Error('signed out');
    }
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json();
  }
  function panelDone(id, error) {
    const panel = $(id);
    panel.setAttribute('aria-busy', 'false');
    let note = panel.querySelector('.panel-error');
    if (error) {
      if (!note) note = panel.appendChild(el('p', { class: 'error panel-error', role: 'alert' }));
      note.textContent = 'Could not load these figures; retrying with the next update.';
    } else if (note) note.remove();
  }

  // --- Daily active users: a uPlot line chart ------------------------------------------------
  let dauPlot = null;
  function drawActiveUsers(days) {
    const box = $('dau-chart');
    const xs = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const ys = days.map((d) => d.activeUsers);
    const peak = days.reduce((best, d) => (d.activeUsers > best.activeUsers ? d : best), days[0]);
    const today = days[days.length - 1];
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', `Daily active users over 30 days: ${full.format(today.activeUsers)} today, peak ${full.format(peak.activeUsers)} on ${dayLabel(peak.day)}.`);
    $('dau-note').textContent = `Today: ${compact.format(today.activeUsers)}. Peak: ${compact.format(peak.activeUsers)} on ${dayLabel(peak.day)}. Day-over-day retention today: ${share(today.retention)}.`;
    if (dauPlot) {
      dauPlot.setData([xs, ys]);
      return;
    }
    dauPlot = new uPlot(
      {
        width: Math.max(280, box.clientWidth),
        height: 220,
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(5, max * 1.15)] } },
        series: [
          { value: (u, v) => (v == null ? '–' : dayLabel(new Date(v * 1000).toISOString().slice(0, 10))) },
          { label: 'Active users', stroke: '#1f5fa8', width: 2, fill: 'rgba(31, 95, 168, 0.12)', value: (u, v) => (v == null ? '–' : compact.format(v)) },
        ],
        axes: [
          { stroke: '#4d4d4d', values: (u, splits) => splits.map((s) => dayLabel(new Date(s * 1000).toISOString().slice(0, 10))) },
          { stroke: '#4d4d4d', values: (u, splits) => splits.map((v) => compact.format(v)) },
        ],
      },
      [xs, ys],
      box,
    );
  }
  new ResizeObserver(() => dauPlot && dauPlot.setSize({ width: Math.max(280, $('dau-chart').clientWidth), height: 220 })).observe($('dau-chart'));

  // --- Retention heat map ------------------------------------------------------------------
  function drawCohorts(cohorts) {
    const table = $('cohorts');
    const head = el('tr');
    head.append(el('th', { scope: 'col' }, 'Week (UTC)'), el('th', { scope: 'col', class: 'n' }, 'Users'));
    for (let d = 1; d <= 7; d++) head.append(el('th', { scope: 'col', class: 'n' }, `Day ${d}`));
    head.append(el('th', { scope: 'col', class: 'n' }, 'Any day'));
    table.tHead.replaceChildren(head);
    const rows = cohorts.map((c) => {
      const tr = el('tr');
      tr.append(el('th', { scope: 'row' }, `${dayLabel(c.from)} – ${dayLabel(c.to)}`), numberCell(c.users));
      for (const d of [...c.byDay.map((b) => b.share), c.retention]) {
        const td = el('td', { class: 'cell num' }, share(d));
        // Light to mid blue: dark text keeps at least 4.5:1 on every shade.
        td.style.backgroundColor = d === null ? '#f4f4f1' : `hsl(210, 70%, ${Math.round(96 - d * 36)}%)`;
        tr.append(td);
      }
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
  }

  // --- Unique visitors (HyperLogLog) -----------------------------------------------------------
  function drawUniques(u) {
    const rows = u.posts.map((p) => {
      const tr = el('tr', { 'data-post-id': String(p.postId) });
      tr.append(el('td', {}, p.title), numberCell(p.views), numberCell(p.today), numberCell(p.last7Days));
      return tr;
    });
    if (rows.length === 0) {
      const tr = el('tr');
      tr.append(el('td', { colspan: '4' }, 'No post was viewed in the last 7 days.'));
      rows.push(tr);
    }
    $('uniques-table').tBodies[0].replaceChildren(...rows);
  }

  // --- Redis at a glance ---------------------------------------------------------------------
  function drawGlance(r) {
    const items = [
      ['Memory used', bytes(r.usedMemoryBytes), r.usedMemoryBytes, 'memory'],
      ['Memory limit', r.maxMemoryBytes === 0 ? 'none' : bytes(r.maxMemoryBytes), r.maxMemoryBytes, 'maxmemory'],
      ['Post cache hit ratio', `${share(r.postCache.hitRate)} (${compact.format(r.postCache.hits)} hits, ${compact.format(r.postCache.misses)} misses)`, r.postCache.hitRate ?? '', 'hit-ratio'],
      ['Commands per second', compact.format(r.opsPerSecond), r.opsPerSecond, 'ops'],
      ['Keys evicted', compact.format(r.evictedKeys), r.evictedKeys, 'evicted'],
      ['Event stream entries', r.stream ? compact.format(r.stream.length) : '–', r.stream ? r.stream.length : '', 'stream-length'],
      ['Pending (delivered, not acknowledged)', r.stream ? compact.format(r.stream.pending) : '–', r.stream ? r.stream.pending : '', 'pending'],
      ['Consumer lag (not yet delivered)', r.stream ? (r.stream.lag === null ? 'unknown' : compact.format(r.stream.lag)) : '–', r.stream && r.stream.lag !== null ? r.stream.lag : '', 'lag'],
    ];
    $('glance').replaceChildren(...items.flatMap(([label, text, value, key]) => [el('dt', {}, label), el('dd', { 'data-key': key, 'data-value': String(value) }, text)]));
  }

  async function loadOverview() {
    try {
      const o = await get('/admin/api/overview');
      drawActiveUsers(o.activeUsers);
      drawCohorts(o.cohorts);
      drawUniques(o.uniqueVisitors);
      drawGlance(o.redis);
      setNumber($('count-active'), o.activeUsers[o.activeUsers.length - 1].activeUsers);
      setNumber($('count-events'), o.eventsLast24h);
      $('updated').textContent = `Updated ${clock.format(new Date(o.generatedAt))}`;
      for (const id of ['dau', 'retention', 'uniques', 'redis']) panelDone(id);
    } catch (err) {
      for (const id of ['dau', 'retention', 'uniques', 'redis']) panelDone(id, err);
    }
  }

  // --- Trending and top authors ------------------------------------------------------------
  let trendingWindow = '24h';
  function rankedRow(id, title, value) {
    const li = el('li', { 'data-id': String(id) });
    const row = li.appendChild(el('span', { class: 'row' }));
    const views = el('b', { class: 'num' });
    setNumber(views, value);
    row.append(el('span', { class: 'title' }, title), views);
    return li;
  }
  /** `why` (first, switch, event, poll) is left on the list as data-reason: what last redrew it. */
  async function loadTrending(why = 'first') {
    const asked = trendingWindow;
    try {
      const t = await get(`/admin/api/trending?window=${encodeURIComponent(asked)}`);
      if (asked !== trendingWindow) return; // switched meanwhile
      const posts = t.posts.map((p) => rankedRow(p.postId, p.title, p.views));
      $('trending-list').replaceChildren(...(posts.length ? posts : [el('li', { class: 'empty' }, `No views in the last ${asked}.`)]));
      $('trending-list').dataset.reason = why;
      const authors = t.authors.authors.map((a) => rankedRow(a.authorId, `Author #${a.authorId}`, a.views));
      $('authors-list').replaceChildren(...(authors.length ? authors : [el('li', { class: 'empty' }, `No views in the last ${asked}.`)]));
      const mine = t.authors.myRank;
      $('my-rank').dataset.value = mine == null ? '' : String(mine);
      $('my-rank').textContent = mine == null ? `Your posts had no views in the last ${asked}.` : `Your rank in the last ${asked}: #${mine}.`;
      panelDone('trending');
      panelDone('authors');
    } catch (err) {
      panelDone('trending', err);
      panelDone('authors', err);
    }
  }
  for (const button of document.querySelectorAll('[data-window]')) {
    button.addEventListener('click', () => {
      trendingWindow = button.dataset.window;
      for (const b of document.querySelectorAll('[data-window]')) b.setAttribute('aria-pressed', String(b === button));
      loadTrending('switch');
    });
  }

  // --- The map: the server drew the land; the posts are dots sized by views --------------------
  const SVG = 'http://www.w3.org/2000/svg';
  async function loadMap() {
    try {
      const m = await get('/admin/api/map');
      const svg = $('map-svg');
      const { width, height } = svg.viewBox.baseVal;
      const max = Math.max(1, ...m.points.map((p) => p.views));
      // Biggest first, so small dots stay on top and reachable.
      const sorted = [...m.points].sort((a, b) => b.views - a.views);
      const dots = sorted.map((p) => {
        const c = document.createElementNS(SVG, 'circle');
        c.setAttribute('cx', (((p.longitude + 180) / 360) * width).toFixed(1));
        c.setAttribute('cy', (((90 - p.latitude) / 180) * height).toFixed(1));
        c.setAttribute('r', (3 + 12 * Math.sqrt(p.views / max)).toFixed(1));
        c.setAttribute('tabindex', '0');
        c.setAttribute('data-post-id', String(p.postId));
        c.setAttribute('data-views', String(p.views));
        const label = `${p.title}: ${full.format(p.views)} views`;
        c.setAttribute('aria-label', label);
        c.appendChild(document.createElementNS(SVG, 'title')).textContent = label;
        return c;
      });
      $('map-points').replaceChildren(...dots);
      $('map-table').tBodies[0].replaceChildren(
        ...sorted.map((p) => {
          const tr = el('tr');
          tr.append(el('td', {}, p.title), el('td', { class: 'n' }, full.format(p.longitude)), el('td', { class: 'n' }, full.format(p.latitude)), numberCell(p.views));
          return tr;
        }),
      );
      setNumber($('count-located'), m.points.length);
      $('map-note').textContent = m.points.length === 0 ? 'No post has a location yet.' : m.truncated ? `Showing ${m.points.length} posts; more have a location.` : '';
      panelDone('map');
    } catch (err) {
      panelDone('map', err);
    }
  }

  // --- Live events ---------------------------------------------------------------------------
  const timers = new Map();
  /** Runs `fn` once after a burst of events has settled. */
  function soon(name, fn, ms = 250) {
    clearTimeout(timers.get(name));
    timers.set(name, setTimeout(fn, ms));
  }
  let lastEventId = '';
  let retryMs = 1000;
  function setLive(text, on) {
    $('live').textContent = text;
    $('live').classList.toggle('on', on);
  }
  function counted(event) {
    if (event.lastEventId) lastEventId = event.lastEventId;
    const n = Number($('count-live').dataset.value) + 1;
    setNumber($('count-live'), n);
  }
  function connect() {
    // EventSource resumes by itself (Last-Event-ID) while it reconnects; a new one after it gave
    // up resumes through ?lastEventId=.
    const source = new EventSource(`/events?topics=posts,trending${lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : ''}`);
    source.addEventListener('open', () => {
      retryMs = 1000;
      setLive('Live', true);
    });
    source.addEventListener('trending.changed', (event) => {
      counted(event);
      const { window } = JSON.parse(event.data);
      if (window === trendingWindow) soon('trending', () => loadTrending('event'));
    });
    for (const type of ['post.created', 'post.updated', 'post.deleted']) {
      source.addEventListener(type, (event) => {
        counted(event);
        soon('trending', () => loadTrending('event'));
        soon('overview', loadOverview, 1000);
        soon('map', loadMap, 1000);
      });
    }
    // Resumed after events the stream no longer holds: reload every panel.
    source.addEventListener('gap', (event) => {
      counted(event);
      refreshAll();
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive(`Disconnected; retrying in ${Math.round(retryMs / 1000)} s`, false);
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 30000);
      } else {
        setLive('Reconnecting…', false);
      }
    });
  }

  function refreshAll() {
    loadOverview();
    loadTrending();
    loadMap();
  }

  $('signout').addEventListener('click', async () => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => {});
    location.reload();
  });

  refreshAll();
  connect();
  // Redis figures and view counts change without events: refreshed every 30 s while visible.
  setInterval(() => {
    if (document.visibilityState === 'visible') {
      loadOverview();
      loadTrending('poll');
    }
  }, 30000);
})();
