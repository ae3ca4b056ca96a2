// docker-compose.yml gives the proxy, on the cloud network, a network alias for the uaadomain and
// for every subaccount's tenant name of its config, so apps in containers resolve
// https://<subdomain>.<uaadomain> without hosts lines.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile } from '../services/shared/config-load.js';
import { tenantHostNames } from '../services/xsuaa/tenant-host.js';
import { REPO_ROOT } from './helpers/cli-process.js';

t.test('the proxy\'s network aliases are the uaadomain and tenant names of the compose config', async (t) => {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'));
  const command: string[] = compose.services.proxy.command;
  const config = loadConfigFile(join(REPO_ROOT, command[command.indexOf('--config') + 1]!));
  const names = tenantHostNames(config);
  t.same(names, ['authentication.localhost', 'scc-sim.authentication.localhost']);
  t.same([...compose.services.proxy.networks.cloud.aliases].sort(), [...names].sort());
});
