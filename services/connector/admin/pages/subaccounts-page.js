// Subaccounts: tunnel state, location ID, connected-since, and the connect/disconnect switch (PUT …/state).
import { api, C, keyOf, subaccountUrl } from './api.js';
import { $, el, emptyRow, replaceKeepingFocus, run, time } from './dom.js';
import { current, state } from './state.js';

export async function loadSubaccounts() {
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

export function stateClass(tunnelState) {
  if (tunnelState === 'Connected') return 'state state-ok';
  if (tunnelState === 'Disconnected' || tunnelState === 'ConnectFailure') return 'state state-bad';
  return 'state state-other';
}

export function renderSubaccounts() {
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

export async function setConnected(s, connected) {
  await api('PUT', `${subaccountUrl(s)}/state`, { connected });
  // The tunnel opens asynchronously: read the state again until it settles (a few times at most).
  for (let i = 0; i < 20; i += 1) {
    await loadSubaccounts();
    const now = state.subaccounts.find((x) => keyOf(x) === keyOf(s));
    if (!now || (now.tunnel.state === 'Connected') === connected) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}
