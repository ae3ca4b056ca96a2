// Finding and editing a connector's entries in the YAML Document of the config file, for the
// admin operations. Entries are found in the file view (the validated config, same order as the
// Document) and edited as Document nodes, so what the user wrote elsewhere — comments, order,
// defaults left out — stays as it is. A connector in the one-subaccount shape keeps that shape
// until a change needs the full one (a second subaccount, or a field only a subaccounts[] entry
// has); then its subaccount keys move, with their comments, into `subaccounts[0]`.
import { isMap, isScalar, isSeq, YAMLMap, YAMLSeq, type Document, type Pair } from 'yaml';
import type { Config, ConnectorConfig, ConnectorSubaccountConfig } from '../../shared/config-schema.js';
import { LEGACY_CONNECTOR_KEYS } from '../../shared/config-schema.js';
import { notFound } from './admin-errors.js';

export type DocPath = Array<string | number>;

export interface SubaccountRef {
  regionHost: string;
  subaccount: string;
}

export interface Located {
  connector: ConnectorConfig;
  connectorIndex: number;
  subaccount: ConnectorSubaccountConfig;
  index: number;
}

export function findConnector(view: Config, name: string): { connector: ConnectorConfig; index: number } {
  const index = view.connectors.findIndex((k) => k.name === name);
  if (index < 0) throw notFound.connector(name);
  return { connector: view.connectors[index], index };
}

export function findSubaccount(view: Config, name: string, ref: SubaccountRef): Located {
  const { connector, index: connectorIndex } = findConnector(view, name);
  const index = connector.subaccounts.findIndex((s) => s.subaccount === ref.subaccount && s.regionHost === ref.regionHost);
  if (index < 0) throw notFound.subaccount(ref.subaccount, ref.regionHost);
  return { connector, connectorIndex, subaccount: connector.subaccounts[index], index };
}

function connectorNode(doc: Document, connectorIndex: number): YAMLMap {
  const node = doc.getIn(['connectors', connectorIndex]);
  if (!isMap(node)) throw new Error(`connectors[${connectorIndex}] is not a mapping in the document`);
  return node as YAMLMap;
}

function isOneSubaccountShape(node: YAMLMap): boolean {
  return !node.has('subaccounts') && LEGACY_CONNECTOR_KEYS.some((k) => node.has(k));
}

/** Moves the subaccount keys of a one-subaccount connector into `subaccounts: [ … ]`. */
function toFullShape(doc: Document, connectorIndex: number): void {
  const node = connectorNode(doc, connectorIndex);
  if (!isOneSubaccountShape(node)) return;
  const keyOf = (p: Pair) => String((p.key as { value?: unknown })?.value ?? p.key);
  const moved = node.items.filter((p) => (LEGACY_CONNECTOR_KEYS as readonly string[]).includes(keyOf(p)));
  node.items = node.items.filter((p) => !moved.includes(p));
  const entry = new YAMLMap();
  entry.items = moved;
  const list = new YAMLSeq();
  list.items = [entry];
  node.set('subaccounts', list);
}

/**
 * The Document path of a subaccount's fields: the connector itself (one-subaccount shape) or its
 * `subaccounts[n]` entry. `full`: the change needs the full shape (converted first if need be).
 */
export function subaccountPath(doc: Document, at: Located, full = false): DocPath {
  const node = connectorNode(doc, at.connectorIndex);
  if (isOneSubaccountShape(node)) {
    if (!full) return ['connectors', at.connectorIndex];
    toFullShape(doc, at.connectorIndex);
  }
  return ['connectors', at.connectorIndex, 'subaccounts', at.index];
}

/** Appends a subaccount entry to a connector (converting a one-subaccount connector first). */
export function addSubaccount(doc: Document, connectorIndex: number, entry: Record<string, unknown>): void {
  toFullShape(doc, connectorIndex);
  append(doc, ['connectors', connectorIndex], 'subaccounts', entry);
}

/** Removes a subaccount: its entry, or the subaccount keys of a one-subaccount connector. */
export function removeSubaccount(doc: Document, at: Located): void {
  const node = connectorNode(doc, at.connectorIndex);
  if (isOneSubaccountShape(node)) for (const k of LEGACY_CONNECTOR_KEYS) node.delete(k);
  else doc.deleteIn(['connectors', at.connectorIndex, 'subaccounts', at.index]);
}

/** Appends `value` to the list under `key` of the mapping at `path`, creating the list if needed. */
export function append(doc: Document, path: DocPath, key: string, value: unknown): void {
  const map = doc.getIn(path);
  if (!isMap(map)) throw new Error(`${path.join('.')} is not a mapping in the document`);
  const list = map.get(key, true);
  if (isSeq(list)) list.add(doc.createNode(value));
  else map.set(key, doc.createNode([value]));
}

/** Sets the fields of the mapping at `path`: undefined removes a field (its default applies again). */
export function setFields(doc: Document, path: DocPath, fields: Record<string, unknown>): void {
  const map = doc.getIn(path);
  if (!isMap(map)) throw new Error(`${path.join('.')} is not a mapping in the document`);
  for (const [key, value] of Object.entries(fields)) {
    const existing = map.get(key, true);
    if (value === undefined) map.delete(key);
    else if (isScalar(existing) && (value === null || typeof value !== 'object')) existing.value = value; // keeps its comment
    else map.set(key, doc.createNode(value));
  }
}

/** Empties the list under `key` of the mapping at `path` (a missing list stays missing). */
export function clearList(doc: Document, path: DocPath, key: string): void {
  const map = doc.getIn(path);
  if (isMap(map) && map.has(key)) map.set(key, new YAMLSeq());
}
