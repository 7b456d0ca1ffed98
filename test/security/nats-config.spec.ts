import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppNames } from '@lib/contracts';
import { durableName } from '@lib/jetstream/names';
import { natsUsers, renderAuthConf } from '../../scripts/nats-permissions';

const byUser = (name: string) => natsUsers().find((u) => u.user === name)!;

describe('deploy/nats/auth.conf', () => {
  it('is what `npm run nats:config` generates from the current contracts', () => {
    const checkedIn = readFileSync(resolve(__dirname, '../../deploy/nats/auth.conf'), 'utf8');
    // On failure: run `npm run nats:config` and commit deploy/nats/auth.conf.
    expect(checkedIn).toBe(renderAuthConf());
  });

  it('has one user per app, an admin and a publisher, each with its own password variable', () => {
    const users = natsUsers();
    expect(users.map((u) => u.user)).toEqual([...AppNames, 'admin', 'publisher']);
    expect(new Set(users.map((u) => u.passwordEnv)).size).toBe(users.length);
  });

  it('lets an app pull and ack its own durables only, and publish no foreign job', () => {
    const poller = byUser('poller');
    const own = durableName('poller', 'jobs.poller.close-expired-polls');
    expect(poller.publish).toContain(`$JS.API.CONSUMER.MSG.NEXT.JOBS.${own}`);
    expect(poller.publish).toContain(`$JS.ACK.JOBS.${own}.>`);
    expect(poller.publish.filter((s) => s.includes('notifier__'))).toEqual([]);
    expect(poller.publish.filter((s) => s.startsWith('jobs.') && !s.startsWith('jobs.poller.'))).toEqual([]);
    expect(poller.publish).not.toContain('$JS.API.STREAM.DELETE.JOBS');
    expect(poller.publish.some((s) => s.includes('KV_cron'))).toBe(false);
    expect(poller.publish.filter((s) => s.includes('>') && !/\.>$/.test(s))).toEqual([]);
    // No app may publish to everything; only the dashboard (browsing) reaches consumers it does not own.
    for (const app of AppNames) {
      expect(byUser(app).publish).not.toContain('>');
      if (app === 'dashboard') continue;
      const anyConsumer = /^\$JS\.API\.CONSUMER\.[A-Z.]+\.(EVENTS|JOBS|DLQ)(\.[*>])?$/;
      expect(byUser(app).publish.filter((s) => anyConsumer.test(s))).toEqual([]);
    }
  });

  it('lets the publisher publish domain events and nothing else', () => {
    expect(byUser('publisher').publish).toEqual(['events.>']);
    expect(byUser('publisher').subscribe).toEqual(['_INBOX_publisher.>']);
  });
});
