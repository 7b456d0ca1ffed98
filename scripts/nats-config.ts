/**
 * Writes deploy/nats/auth.conf: the NATS users and their least-privilege permissions, derived from
 * libs/contracts. Run `npm run nats:config` after changing contracts; test/security/nats-config.spec.ts fails
 * while the checked-in file is stale.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { natsUsers, renderAuthConf } from './nats-permissions';

export const AuthConfPath = path.resolve(__dirname, '../deploy/nats/auth.conf');

if (require.main === module) {
  const users = natsUsers();
  writeFileSync(AuthConfPath, renderAuthConf(users));
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), AuthConfPath)}: ${users.map((u) => u.user).join(', ')}\n`,
  );
}
