// Access control: the selected subaccount's system mappings and their resources; add, edit and
// delete both in a dialog, suspend/enable a resource with one click.
import { api, mappingUrl, resourceUrl, subaccountUrl } from './api.js';
import { $, el, emptyRow, replaceKeepingFocus, run, say } from './dom.js';
import { current } from './state.js';

export async function loadAccess() {
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

export function openMapping(s, m) {
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
