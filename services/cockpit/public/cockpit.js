// The cockpit page's script: one EventSource on /cockpit/events; `status` events redraw the
// subaccounts and their Cloud Connectors, `traffic` events add a row to the live traffic. Every
// value is put in the page as text (textContent / setAttribute), never as HTML.
'use strict';
(() => {
  const MAX_EVENTS = 500;
  const REFUSALS = new Set(['no-connector', 'unmapped-system', 'resource-denied', 'token-refused', 'bad-path', 'refused', 'failed']);
  /** Newest last. */
  let events = [];
  const seen = new Set();
  let view = { subaccounts: [] };
  const $ = (id) => document.getElementById(id);

  /** An element with text children only: strings become text nodes. */
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-')) e.setAttribute(k, String(v));
      else e[k] = v;
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  const locationLabel = (id) => (id === '' ? '(default)' : id);
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
  const since = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const isBad = (e) => e.status >= 400 || e.verdict !== 'allowed';

  function lastOf(subaccount, locationId) {
    for (let i = events.length - 1; i >= 0; i -= 1) {
      const e = events[i];
      if (e.subaccount === subaccount && e.locationId === locationId) return e;
    }
    return undefined;
  }

  function describe(e) {
    const target = e.virtualHost ? `${e.virtualHost}:${e.virtualPort}${e.path || ''}` : (e.path || '');
    return `${e.method} ${target}`.trim();
  }

  function locationCard(s, l) {
    const last = lastOf(s.subaccount, l.locationId);
    const button = el('button', { type: 'button', class: 'send', textContent: 'Send sample request' });
    button.addEventListener('click', () => sample(s.subaccount, l.locationId, button));
    const actions = el('div', { class: 'actions' }, button,
      l.adminUrl ? el('a', { href: `${l.adminUrl}/`, target: '_blank', rel: 'noopener noreferrer', class: 'admin' }, `Admin pages of ${l.connector}`) : undefined);
    return el('article', { class: 'location', 'data-state': l.state, 'data-location': l.locationId, 'data-connector': l.connector },
      el('div', { class: 'loc' }, locationLabel(l.locationId)),
      el('dl', {},
        el('dt', {}, 'Connector'), el('dd', { class: 'connector' }, l.connector),
        el('dt', {}, 'State'), el('dd', { class: 'state' }, l.state),
        el('dt', {}, 'Connected since'), el('dd', { class: 'since' }, since(l.connectedSince))),
      el('p', { class: `last ${last ? (isBad(last) ? 'bad' : 'good') : ''}` },
        last ? `Last: ${last.status} ${last.verdict} — ${describe(last)}` : 'No request yet'),
      actions);
  }

  function destinationsTable(list) {
    if (list.length === 0) return el('p', { class: 'empty' }, 'No destinations in the Destination service.');
    const head = el('tr', {}, ...['Destination', 'Type', 'URL', 'Proxy type', 'Location ID', 'Authentication'].map((h) => el('th', { scope: 'col' }, h)));
    const rows = list.map((d) => el('tr', {}, el('td', {}, d.name), el('td', {}, d.type), el('td', {}, d.url || ''),
      el('td', {}, d.proxyType), el('td', {}, d.locationId === undefined ? '' : locationLabel(d.locationId)), el('td', {}, d.authentication)));
    return el('div', { class: 'table-wrap destinations' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
  }

  function renderView() {
    const root = $('subaccounts');
    const focusedKey = document.activeElement?.closest?.('.location')?.getAttribute('data-location');
    root.replaceChildren(...view.subaccounts.map((s) => el('section', { class: 'subaccount', 'data-subaccount': s.subaccount },
      el('h3', {}, s.displayName || s.subdomain, ' ', el('span', { class: 'id' }, s.subaccount)),
      s.locations.length === 0
        ? el('p', { class: 'empty' }, 'No Cloud Connector is connected to this subaccount.')
        : el('div', { class: 'locations' }, ...s.locations.map((l) => locationCard(s, l))),
      destinationsTable(s.destinations))));
    if (view.subaccounts.length === 0) root.replaceChildren(el('p', { class: 'empty' }, 'No subaccounts in the config.'));
    if (focusedKey !== null && focusedKey !== undefined) {
      for (const card of root.querySelectorAll('.location')) if (card.getAttribute('data-location') === focusedKey) card.querySelector('button')?.focus();
    }
    updateLocationFilter();
  }

  function updateLocationFilter() {
    const select = $('filter-location');
    const chosen = select.value;
    const ids = new Set();
    for (const s of view.subaccounts) for (const l of s.locations) ids.add(l.locationId);
    for (const e of events) ids.add(e.locationId);
    const options = [el('option', { value: '*' }, 'all locations'), ...[...ids].sort().map((id) => el('option', { value: id }, locationLabel(id)))];
    select.replaceChildren(...options);
    select.value = [...ids].includes(chosen) ? chosen : '*';
  }

  function matches(e) {
    const loc = $('filter-location').value;
    const verdict = $('filter-verdict').value;
    if (loc !== '*' && e.locationId !== loc) return false;
    if (verdict === '*') return true;
    if (verdict === 'refused-any') return REFUSALS.has(e.verdict);
    return e.verdict === verdict;
  }

  function row(e) {
    return el('tr', { class: isBad(e) ? 'bad' : 'good', 'data-id': e.id, 'data-location': e.locationId, 'data-verdict': e.verdict, 'data-status': e.status },
      el('td', {}, time(e.time)), el('td', {}, e.protocol), el('td', { class: 'location' }, locationLabel(e.locationId)),
      el('td', { class: 'connector' }, e.connector || '—'), el('td', { class: 'request' }, describe(e)),
      el('td', { class: 'verdict' }, e.verdict), el('td', { class: 'status' }, e.status),
      el('td', {}, Math.round(e.durationMs)), el('td', { class: 'user' }, e.user || ''),
      el('td', { class: 'rule' }, e.code ? `${e.rule} (${e.code})` : e.rule), el('td', { class: 'sub' }, e.subaccount || ''));
  }

  function renderTraffic() {
    const shown = events.filter(matches).reverse();
    $('traffic-rows').replaceChildren(...shown.map(row));
    $('traffic-empty').classList.toggle('hidden', shown.length > 0);
  }

  function addTraffic(e) {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    const known = events.some((x) => x.locationId === e.locationId);
    events.push(e);
    if (events.length > MAX_EVENTS) seen.delete(events.shift().id);
    if (!known) updateLocationFilter();
    if (matches(e)) {
      $('traffic-rows').prepend(row(e));
      $('traffic-empty').classList.add('hidden');
    }
    renderView();
  }

  async function sample(subaccount, locationId, button) {
    const out = $('sample-result');
    const path = $('sample-path').value.trim() || '/';
    button.disabled = true;
    out.textContent = `Sending GET ${path} to location ${locationLabel(locationId)}…`;
    try {
      const res = await fetch('/cockpit/sample-request', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subaccount, locationId, path }),
      });
      const body = await res.json();
      out.textContent = res.ok
        ? `${locationLabel(locationId)}: ${body.status} from ${body.target} — ${body.body}`
        : `The sample request could not be sent: ${body.message || body.error || res.status}`;
    } catch (err) {
      out.textContent = `The sample request could not be sent: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }

  $('filter-location').addEventListener('change', renderTraffic);
  $('filter-verdict').addEventListener('change', renderTraffic);
  $('filters').addEventListener('submit', (ev) => ev.preventDefault());
  $('clear-traffic').addEventListener('click', () => { events = []; seen.clear(); renderTraffic(); renderView(); });

  const live = $('live');
  const source = new EventSource('/cockpit/events');
  source.addEventListener('open', () => { live.dataset.state = 'live'; live.textContent = 'live'; });
  source.addEventListener('error', () => { live.dataset.state = 'offline'; live.textContent = 'reconnecting…'; });
  source.addEventListener('status', (m) => { view = JSON.parse(m.data); renderView(); });
  source.addEventListener('traffic', (m) => addTraffic(JSON.parse(m.data)));
})();
