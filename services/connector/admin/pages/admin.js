// The admin pages' script: only the admin REST API, same origin (the browser sends the Basic
// auth credentials it logged in with). One module per page (subaccounts, access control,
// monitor, audit log), api.js for the calls, dom.js for what is shown (text only, never HTML),
// live.js for the event stream; this one switches pages and wires the controls.
import { api, C, seg } from './api.js';
import { openMapping, loadAccess } from './access-page.js';
import { loadAudit } from './audit-page.js';
import { $, run } from './dom.js';
import { follow } from './live.js';
import { loadMonitor } from './monitor-page.js';
import { current, state } from './state.js';
import { loadSubaccounts } from './subaccounts-page.js';

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
  follow(() => loaders[state.page]());
  document.body.dataset.ready = 'true';
}

start();
