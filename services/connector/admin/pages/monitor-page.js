// Monitor: the most recent requests of the selected subaccount, newest first; refused ones in red.
import { api, seg } from './api.js';
import { $, el, emptyRow } from './dom.js';
import { current } from './state.js';

export async function loadMonitor() {
  const s = current();
  const query = s ? `?regionHost=${seg(s.regionHost)}&subaccount=${seg(s.subaccount)}` : '';
  const { subaccounts } = await api('GET', `/api/monitoring/mostRecentRequests${query}`);
  const requests = subaccounts.flatMap((x) => x.requests);
  $('monitor-rows').replaceChildren(...(requests.length ? requests.map(monitorRow) : [emptyRow(9, 'No request yet')]));
}

export function monitorRow(q) {
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
export function addMonitorRow(q) {
  const rows = $('monitor-rows');
  if (!rows.querySelector('[data-testid=monitor-row]')) rows.replaceChildren();
  rows.prepend(monitorRow(q));
  while (rows.children.length > 50) rows.lastElementChild.remove();
}
