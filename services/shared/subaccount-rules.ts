// The cross-field rules of the subaccounts' login world (config-load.ts runs them after the
// schema): subdomains are unique (https://<subdomain>.<uaadomain> picks the subaccount), role
// collections are declared once and have an application, users hold only declared collections.
// Each problem is a `path: message` line.
import type { Config } from './config-schema.js';

export function checkSubaccountRules(c: Config): string[] {
  const out: string[] = [];
  const subdomains = new Set<string>();
  c.subaccounts.forEach((s, i) => {
    const at = `subaccounts[${i}]`;
    if (subdomains.has(s.subdomain)) out.push(`${at}.subdomain: "${s.subdomain}" is the subdomain of another subaccount`);
    subdomains.add(s.subdomain);
    const hasXsuaaClient = s.clients.some((cl) => cl.service === 'xsuaa');
    const collections = new Set<string>();
    s.roleCollections.forEach((rc, j) => {
      if (collections.has(rc.name)) out.push(`${at}.roleCollections[${j}].name: "${rc.name}" is declared twice`);
      collections.add(rc.name);
      if (rc.xsappname === undefined && !hasXsuaaClient) {
        out.push(`${at}.roleCollections[${j}].xsappname: needed, as the subaccount has no xsuaa client whose xsappname it could default to`);
      }
    });
    const users = new Set<string>();
    s.users.forEach((u, j) => {
      if (users.has(u.name)) out.push(`${at}.users[${j}].name: "${u.name}" is declared twice`);
      users.add(u.name);
      u.roleCollections.forEach((name, n) => {
        if (!collections.has(name)) out.push(`${at}.users[${j}].roleCollections[${n}]: "${name}" is not one of ${at}.roleCollections[].name`);
      });
    });
  });
  return out;
}
