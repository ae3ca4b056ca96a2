// Live: the admin server's event stream (GET /api/monitoring/events). A request is added on top
// of the monitor when it is shown; a tunnel state change updates the subaccounts at once.
import { keyOf } from './api.js';
import { $, run } from './dom.js';
import { addMonitorRow } from './monitor-page.js';
import { state } from './state.js';
import { loadSubaccounts, renderSubaccounts } from './subaccounts-page.js';

let pending;
/** Reads `loader` again soon, once for a burst of events. */
function soon(loader) {
  clearTimeout(pending);
  pending = setTimeout(() => run(loader), 100);
}

export function follow(reload) {
  const live = $('live-state');
  const source = new EventSource('/api/monitoring/events');
  let lost = false;
  source.onopen = () => {
    live.textContent = 'live';
    live.className = 'state state-ok';
    if (lost) soon(reload); // catch up with what happened while the stream was down
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
