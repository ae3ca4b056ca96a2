// Audit log: the connector's and the subaccount's level (OFF / SECURITY / ALL), the latest entries.
import { api, C, seg } from './api.js';
import { $, el, emptyRow } from './dom.js';
import { current } from './state.js';

export async function loadAudit() {
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
