// The admin pages' script: only the admin REST API, same origin (the browser sends the Basic
// auth credentials it logged in with). Everything shown is built with createElement and
// textContent, never parsed as HTML: location IDs, paths and descriptions are user input.
const C = '/api/v1/configuration';
const $ = (id) => document.getElementById(id);
const state = { subaccounts: [], selected: '', page: 'subaccounts' };

/** A DOM element: props are properties (text → textContent, testid → data-testid, data → dataset), children nodes or text. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'testid') node.dataset.testid = v;
    else if (k === 'data') Object.assign(node.dataset, v);
    else if (k === 'class') node.className = v;
    else if (k === 'on') for (const [event, f] of Object.entries(v)) node.addEventListener(event, f);
    else if (k.startsWith('aria-') || k === 'role') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** Replaces a container's children; the focused control (found again by its data-key) keeps the focus. */
function replaceKeepingFocus(container, children) {
  const key = container.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  container.replaceChildren(...children);
  if (key !== undefined) [...container.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key)?.focus();
}

class ApiError extends Error {}

async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) throw new ApiError(`${method} failed (${res.status}): ${json?.message ?? text ?? res.statusText}`);
  return json;
}

const seg = (s) => encodeURIComponent(s);
/** SAP's resource ID in a URL (scc-rest-api.md §2.4): `+` → `+2B`, `-` → `+2D`, `/` → `-`. */
const resourceSeg = (id) => seg(id.replace(/\+/g, '+2B').replace(/-/g, '+2D').replace(/\//g, '-'));
const subaccountUrl = (s) => `${C}/subaccounts/${seg(s.regionHost)}/${seg(s.subaccount)}`;
const mappingUrl = (s, m) => `${subaccountUrl(s)}/systemMappings/${seg(`${m.virtualHost}:${m.virtualPort}`)}`;
const resourceUrl = (s, m, r) => `${mappingUrl(s, m)}/resources/${resourceSeg(r.id)}`;
const keyOf = (s) => `${s.regionHost}/${s.subaccount}`;
const current = () => state.subaccounts.find((s) => keyOf(s) === state.selected);
const time = (ms) => (ms > 0 ? new Date(ms).toLocaleString() : '—');

function say(text, error = false) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
  m.setAttribute('role', error ? 'alert' : 'status');
  m.hidden = false;
}

/** Runs an action; an error is shown, never thrown. */
async function run(action, done) {
  try {
    await action();
    if (done) say(done);
  } catch (err) {
    say(err instanceof ApiError ? err.message : `Error: ${err.message}`, true);
  }
}

// ---- subaccounts --------------------------------------------------------------------------
async function loadSubaccounts() {
  const list = await api('GET', `${C}/subaccounts`);
  state.subaccounts = await Promise.all(list.map((s) => api('GET', subaccountUrl(s))));
  if (!current()) state.selected = state.subaccounts[0] ? keyOf(state.subaccounts[0]) : '';
  const select = $('subaccount-select');
  select.replaceChildren(...state.subaccounts.map((s) => el('option', {
    value: keyOf(s), text: `${s.displayName} — location "${s.locationID}"`, selected: keyOf(s) === state.selected,
  })));
  const s = current();
  $('header-location').textContent = s ? `· location ${s.locationID === '' ? '(default)' : s.locationID}` : '';
  renderSubaccounts();
}

function stateClass(tunnelState) {
  if (tunnelState === 'Connected') return 'state state-ok';
  if (tunnelState === 'Disconnected' || tunnelState === 'ConnectFailure') return 'state state-bad';
  return 'state state-other';
}

function renderSubaccounts() {
  const rows = state.subaccounts.map((s) => {
    const connected = s.tunnel.state === 'Connected';
    const toggle = el('button', {
      type: 'button', testid: 'subaccount-toggle', data: { key: `toggle ${keyOf(s)}` }, role: 'switch', 'aria-checked': String(connected),
      class: connected ? 'danger' : 'primary', text: connected ? 'Disconnect' : 'Connect',
      'aria-label': `${connected ? 'Disconnect' : 'Connect'} ${s.displayName} (location "${s.locationID}")`,
      on: { click: () => run(() => setConnected(s, !connected), `${s.displayName}: ${connected ? 'disconnected' : 'connect requested'}`) },
    });
    return el('tr', { testid: 'subaccount-row', data: { subaccount: s.subaccount, regionHost: s.regionHost } },
      el('td', { class: 'wrap' }, el('strong', { text: s.displayName }),
        ...(s.displayName === s.subaccount ? [] : [el('br'), el('span', { class: 'muted', text: s.subaccount })])),
      el('td', { class: 'wrap', text: s.regionHost }),
      el('td', { testid: 'subaccount-location', class: 'wrap', text: s.locationID === '' ? '(default)' : s.locationID }),
      el('td', {}, el('span', { testid: 'tunnel-state', class: stateClass(s.tunnel.state), text: s.tunnel.state })),
      el('td', { class: 'wrap', text: time(s.tunnel.connectedSinceTimeStamp) }),
      el('td', { class: 'num', text: String(s.tunnel.connections) }),
      el('td', {}, toggle));
  });
  replaceKeepingFocus($('subaccount-rows'), rows.length ? rows : [emptyRow(7, 'No subaccount configured')]);
}

async function setConnected(s, connected) {
  await api('PUT', `${subaccountUrl(s)}/state`, { connected });
  // The tunnel opens asynchronously: read the state again until it settles (a few times at most).
  for (let i = 0; i < 20; i += 1) {
    await loadSubaccounts();
    const now = state.subaccounts.find((x) => keyOf(x) === keyOf(s));
    if (!now || (now.tunnel.state === 'Connected') === connected) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function emptyRow(columns, text) {
  return el('tr', {}, el('td', { colSpan: columns, class: 'empty', text }));
}

// ---- access control -----------------------------------------------------------------------
async function loadAccess() {
  const s = current();
  if (!s) { $('mappings').replaceChildren(el('p', { class: 'empty', text: 'No subaccount configured' })); return; }
  const mappings = await api('GET', `${subaccountUrl(s)}/systemMappings`);
  const withResources = await Promise.all(mappings.map(async (m) => ({ m, resources: await api('GET', `${mappingUrl(s, m)}/resources`) })));
  replaceKeepingFocus($('mappings'), withResources.length ? withResources.map(({ m, resources }) => mappingCard(s, m, resources))
    : [el('p', { class: 'empty', text: 'No system mapping: every request is refused (403)' })]);
}

function mappingCard(s, m, resources) {
  const system = `${m.virtualHost}:${m.virtualPort}`;
  const rows = resources.map((r) => el('tr', { testid: 'resource-row', class: r.enabled ? '' : 'suspended', data: { resourceId: r.id } },
    el('td', { testid: 'resource-id', class: 'wrap', text: r.id }),
    el('td', { text: r.exactMatchOnly ? 'Path only' : 'Path and all sub-paths' }),
    el('td', {}, el('span', { testid: 'resource-status', class: r.enabled ? 'state state-ok' : 'state state-bad', text: r.enabled ? 'Enabled' : 'Suspended' })),
    el('td', { text: r.websocketUpgradeAllowed ? 'yes' : 'no' }),
    el('td', { testid: 'resource-description-text', class: 'wrap', text: r.description }),
    el('td', {}, el('div', { class: 'actions' },
      el('button', { type: 'button', testid: 'resource-toggle', data: { key: `toggle ${system} ${r.id}` }, class: r.enabled ? 'danger' : 'primary', text: r.enabled ? 'Suspend' : 'Enable',
        'aria-label': `${r.enabled ? 'Suspend' : 'Enable'} resource ${r.id} of ${system}`,
        on: { click: () => run(async () => { await api('PUT', resourceUrl(s, m, r), { ...resourceBody(r), enabled: !r.enabled }); await loadAccess(); },
          `${system}${r.id}: ${r.enabled ? 'suspended' : 'enabled'}`) } }),
      el('button', { type: 'button', testid: 'resource-edit', data: { key: `edit ${system} ${r.id}` }, text: 'Edit', 'aria-label': `Edit resource ${r.id} of ${system}`,
        on: { click: () => openResource(s, m, r) } }),
      el('button', { type: 'button', testid: 'resource-delete', data: { key: `delete ${system} ${r.id}` }, class: 'danger', text: 'Delete', 'aria-label': `Delete resource ${r.id} of ${system}`,
        on: { click: () => { if (confirm(`Delete resource ${r.id} of ${system}?`)) run(async () => { await api('DELETE', resourceUrl(s, m, r)); await loadAccess(); }, `${system}${r.id}: deleted`); } } })))));
  return el('article', { class: 'mapping', testid: 'mapping', data: { system } },
    el('div', { class: 'bar' },
      el('h3', { testid: 'mapping-title', text: `${m.protocol.toLowerCase()}://${system} → ${m.localHost}:${m.localPort}` }),
      el('button', { type: 'button', testid: 'resource-add', data: { key: `add ${system}` }, text: 'Add resource', 'aria-label': `Add a resource to ${system}`, on: { click: () => openResource(s, m) } }),
      el('button', { type: 'button', testid: 'mapping-edit', data: { key: `edit ${system}` }, text: 'Edit', 'aria-label': `Edit system mapping ${system}`, on: { click: () => openMapping(s, m) } }),
      el('button', { type: 'button', testid: 'mapping-delete', data: { key: `delete ${system}` }, class: 'danger', text: 'Delete', 'aria-label': `Delete system mapping ${system}`,
        on: { click: () => { if (confirm(`Delete system mapping ${system} and its resources?`)) run(async () => { await api('DELETE', mappingUrl(s, m)); await loadAccess(); }, `${system}: deleted`); } } })),
    el('p', { class: 'muted', testid: 'mapping-details',
      text: [m.backendType, m.hostInHeader && `host in header: ${m.hostInHeader}`, `${m.enabledResourcesCount} of ${m.totalResourcesCount} resources enabled`, m.description]
        .filter(Boolean).join(' · ') }),
    el('table', {}, el('thead', {}, el('tr', {}, ...['URL path', 'Access policy', 'Status', 'WebSocket', 'Description', 'Actions'].map((h) => el('th', { text: h })))),
      el('tbody', {}, ...(rows.length ? rows : [emptyRow(6, 'No resource: every path is refused (403)')]))));
}

const resourceBody = (r) => ({ enabled: r.enabled, exactMatchOnly: r.exactMatchOnly, websocketUpgradeAllowed: r.websocketUpgradeAllowed, description: r.description });

/** Opens a dialog's form; `submit` gets the form and closes the dialog when it resolves. */
function openDialog(dialogId, fill, submit) {
  const dialog = $(dialogId);
  const form = dialog.querySelector('form');
  const error = form.querySelector('.error');
  error.hidden = true;
  form.reset();
  fill(form);
  form.onsubmit = async (event) => {
    event.preventDefault();
    try {
      await submit(form);
      dialog.close();
      await loadAccess();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  dialog.querySelector('.cancel').onclick = () => dialog.close();
  dialog.showModal();
  form.querySelector('input:not([readonly])')?.focus();
}

function openMapping(s, m) {
  openDialog('mapping-dialog', (f) => {
    $('mapping-title').textContent = m ? `Edit system mapping ${m.virtualHost}:${m.virtualPort}` : 'Add system mapping';
    for (const name of ['virtualHost', 'virtualPort', 'localHost', 'localPort', 'description']) f.elements[name].value = m ? m[name] : '';
    f.elements.protocol.value = m ? m.protocol : 'HTTP';
    f.elements.backendType.value = m ? m.backendType : 'nonSAPsys';
    f.elements.hostInHeader.value = m?.hostInHeader || 'VIRTUAL';
    f.elements.virtualHost.readOnly = f.elements.virtualPort.readOnly = m !== undefined;
  }, async (f) => {
    const v = (name) => f.elements[name].value.trim();
    const protocol = v('protocol');
    const body = { virtualHost: v('virtualHost'), virtualPort: v('virtualPort'), localHost: v('localHost'), localPort: v('localPort'),
      protocol, backendType: v('backendType'), description: v('description') };
    if (protocol === 'HTTP' || protocol === 'HTTPS') body.hostInHeader = v('hostInHeader');
    if (m) {
      body.authenticationMode = m.authenticationMode;
      if (m.sid) body.sid = m.sid;
      await api('PUT', mappingUrl(s, m), body);
    } else {
      await api('POST', `${subaccountUrl(s)}/systemMappings`, body);
    }
    say(`${body.virtualHost}:${body.virtualPort}: ${m ? 'saved' : 'added'}`);
  });
}

function openResource(s, m, r) {
  openDialog('resource-dialog', (f) => {
    $('resource-title').textContent = r ? 'Edit resource' : 'Add resource';
    $('resource-mapping').textContent = `System mapping ${m.virtualHost}:${m.virtualPort}`;
    f.elements.id.value = r ? r.id : '/';
    f.elements.id.readOnly = r !== undefined;
    f.elements.exactMatchOnly.value = String(r ? r.exactMatchOnly : false);
    f.elements.enabled.checked = r ? r.enabled : true;
    f.elements.websocketUpgradeAllowed.checked = r ? r.websocketUpgradeAllowed : false;
    f.elements.description.value = r ? r.description : '';
  }, async (f) => {
    const body = { enabled: f.elements.enabled.checked, exactMatchOnly: f.elements.exactMatchOnly.value === 'true',
      websocketUpgradeAllowed: f.elements.websocketUpgradeAllowed.checked, description: f.elements.description.value };
    if (r) await api('PUT', resourceUrl(s, m, r), body);
    else await api('POST', `${mappingUrl(s, m)}/resources`, { id: f.elements.id.value.trim(), ...body });
    say(`${m.virtualHost}:${m.virtualPort}${r ? r.id : f.elements.id.value.trim()}: ${r ? 'saved' : 'added'}`);
  });
}

// ---- monitor ------------------------------------------------------------------------------
async function loadMonitor() {
  const s = current();
  const query = s ? `?regionHost=${seg(s.regionHost)}&subaccount=${seg(s.subaccount)}` : '';
  const { subaccounts } = await api('GET', `/api/monitoring/mostRecentRequests${query}`);
  const requests = subaccounts.flatMap((x) => x.requests);
  $('monitor-rows').replaceChildren(...(requests.length ? requests.map(monitorRow) : [emptyRow(9, 'No request yet')]));
}

function monitorRow(q) {
  return el('tr', { testid: 'monitor-row', class: q.decision, data: { status: String(q.status), decision: q.decision } },
    el('td', { text: new Date(q.time).toLocaleTimeString() }),
    el('td', { text: q.method }),
    el('td', { text: `${q.virtualHost}:${q.virtualPort}` }),
    el('td', { testid: 'monitor-path', class: 'wrap', text: q.path }),
    el('td', { testid: 'monitor-status', class: 'status num', text: String(q.status) }),
    el('td', { class: 'num', text: q.durationMs.toFixed(1) }),
    el('td', { text: q.decision }),
    el('td', { class: 'wrap', text: q.rule }),
    el('td', { class: 'wrap', text: q.user ?? '' }));
}

/** A request the event stream announced: on top of the monitor, which keeps the API's 50. */
function addMonitorRow(q) {
  const rows = $('monitor-rows');
  if (!rows.querySelector('[data-testid=monitor-row]')) rows.replaceChildren();
  rows.prepend(monitorRow(q));
  while (rows.children.length > 50) rows.lastElementChild.remove();
}

// ---- live: the admin server's event stream (GET /api/monitoring/events) --------------------
let pending;
/** Reads `loader` again soon, once for a burst of events. */
function soon(loader) {
  clearTimeout(pending);
  pending = setTimeout(() => run(loader), 100);
}

function follow() {
  const live = $('live-state');
  const source = new EventSource('/api/monitoring/events');
  let lost = false;
  source.onopen = () => {
    live.textContent = 'live';
    live.className = 'state state-ok';
    if (lost) soon(loaders[state.page]); // catch up with what happened while the stream was down
    lost = false;
  };
  source.onerror = () => {
    lost = true;
    live.textContent = 'reconnecting…';
    live.className = 'state state-bad';
  };
  source.addEventListener('request', (m) => {
    const e = JSON.parse(m.data);
    if (state.page === 'monitor' && keyOf(e) === state.selected) addMonitorRow(e.request);
  });
  source.addEventListener('tunnel', (m) => {
    const e = JSON.parse(m.data);
    const s = state.subaccounts.find((x) => keyOf(x) === keyOf(e));
    if (s) { s.tunnel.state = e.state; s.tunnel.connectedSinceTimeStamp = e.connectedSince; renderSubaccounts(); }
    soon(loadSubaccounts);
  });
}

// ---- audit log ----------------------------------------------------------------------------
async function loadAudit() {
  const s = current();
  const [settings, perSubaccount, { entries }] = await Promise.all([
    api('GET', `${C}/connector/auditLog`),
    s ? api('GET', `${C}/connector/auditLog/subaccounts/${seg(s.regionHost)}/${seg(s.subaccount)}`) : undefined,
    api('GET', '/api/monitoring/auditLog'),
  ]);
  $('audit-level').value = settings.level;
  $('audit-subaccount-level').value = perSubaccount?.level ?? settings.level;
  $('audit-subaccount-level').disabled = !s;
  $('audit-rows').replaceChildren(...(entries.length ? entries.map((e) => el('tr', { testid: 'audit-row', class: e.event === 'Access Denied' ? 'denied' : '' },
    el('td', { text: new Date(e.time).toLocaleTimeString() }),
    el('td', { text: e.category }),
    el('td', { text: e.event }),
    el('td', { class: 'wrap', text: e.locationID ?? '' }),
    el('td', { text: e.user ?? '' }),
    el('td', { testid: 'audit-detail', class: 'wrap', text: e.detail }))) : [emptyRow(6, 'No audit entry yet')]));
}

// ---- navigation ---------------------------------------------------------------------------
const loaders = { subaccounts: loadSubaccounts, access: loadAccess, monitor: loadMonitor, audit: loadAudit };

function show(page) {
  state.page = loaders[page] ? page : 'subaccounts';
  for (const tab of document.querySelectorAll('button.tab')) {
    if (tab.dataset.page === state.page) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  for (const p of Object.keys(loaders)) $(`page-${p}`).hidden = p !== state.page;
  return run(loaders[state.page]);
}

async function start() {
  for (const tab of document.querySelectorAll('button.tab')) {
    tab.addEventListener('click', () => { history.replaceState(null, '', `#${tab.dataset.page}`); show(tab.dataset.page); });
  }
  $('subaccount-select').addEventListener('change', (e) => { state.selected = e.target.value; run(loadSubaccounts); show(state.page); });
  $('subaccounts-refresh').addEventListener('click', () => run(loadSubaccounts));
  $('access-refresh').addEventListener('click', () => run(loadAccess));
  $('mapping-add').addEventListener('click', () => { const s = current(); if (s) openMapping(s); });
  $('monitor-refresh').addEventListener('click', () => run(loadMonitor));
  $('monitor-clear').addEventListener('click', () => run(async () => { await api('DELETE', '/api/monitoring/mostRecentRequests'); await loadMonitor(); }, 'Most recent requests cleared'));
  $('audit-refresh').addEventListener('click', () => run(loadAudit));
  $('audit-level').addEventListener('change', (e) => run(async () => { await api('PATCH', `${C}/connector/auditLog`, { level: e.target.value }); await loadAudit(); },
    `Audit log level: ${e.target.value}`));
  $('audit-subaccount-level').addEventListener('change', (e) => run(async () => {
    const s = current();
    await api('PATCH', `${C}/connector/auditLog/subaccounts/${seg(s.regionHost)}/${seg(s.subaccount)}`, { level: e.target.value });
    await loadAudit();
  }, `Audit log level of the subaccount: ${e.target.value}`));
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  await run(async () => {
    const connector = await api('GET', `${C}/connector`);
    $('connector-name').textContent = connector.description || location.host;
    await loadSubaccounts();
  });
  await show(location.hash.slice(1));
  follow();
  document.body.dataset.ready = 'true';
}

start();
