// The connector's one rule for client headers toward the backend, as a table: a name is dropped
// when it normalises (case, '-'/'_') to a header the connector sets itself.
import t from 'tap';
import { isOwnedHeader } from '../services/connector/owned-headers.js';

const DROPPED = [
  'ssl_client_cert', 'ssl-client-cert', 'SSL-Client-Cert', 'ssl-client_cert', 'SSL_CLIENT_CERT',
  'x-forwarded-host', 'x_forwarded_host', 'X-Forwarded_Host',
  'host', 'HOST',
  'x-scc-sim-principal', 'x_scc_sim_principal', 'x-scc-sim_rule', 'X_SCC_SIM_anything',
];
const KEPT = [
  'ssl_client_cert_chain', 'ssl-client-cer', 'x-forwarded-for', 'x-forwarded-hostname', 'hosts', 'ghost',
  'x-scc-sim', 'x-scc-simulator', 'sap-client', 'authorization', 'cookie', '',
];

t.test('every spelling of a header the connector sets is dropped', async (t) => {
  for (const name of DROPPED) t.ok(isOwnedHeader(name), name);
});

t.test('other headers, also ones that merely look alike, are kept', async (t) => {
  for (const name of KEPT) t.notOk(isOwnedHeader(name), JSON.stringify(name));
});
