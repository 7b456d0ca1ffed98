import type { NatsConnection } from 'nats';
import type { DataSource } from 'typeorm';
import type { RunningService } from '@lib/jetstream';
import {
  startServiceUnderTest,
  startTestServers,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
  type TestServers,
} from '@lib/testing';
import { JanitorConfigSchema } from '../src/config';
import { HeadingIdBackfill } from '../src/headings/heading-id-backfill';
import { JanitorModule } from '../src/janitor.module';
import { databaseDigest, publishAndAwaitDeadLetter } from './job-harness';
import { JanitorWorld } from './janitor-world';

describe('add-heading-ids (real NATS and PostgreSQL)', () => {
  let nats: NatsServerHandle;
  let database: TestDatabase;
  let servers: TestServers;
  let db: DataSource;
  let janitor: RunningService;
  let client: NatsConnection;
  let world: JanitorWorld;

  beforeAll(async () => {
    servers = await startTestServers();
    ({ nats, database, db, client } = servers);
    world = new JanitorWorld(db);
  });

  afterAll(async () => {
    await janitor?.stop();
    await servers?.stop();
  });

  const field = async (table: string, column: string, id: number): Promise<string | null> =>
    ((await db.query(`SELECT ${column} AS v FROM ${table} WHERE id = $1`, [id])) as { v: string | null }[])[0]
      .v;

  it('adds ids in every rich-text field, resumes after a crash without reading finished rows, and then changes nothing', async () => {
    const author = await world.user();
    const group = await world.insert('groups', { name: 'G', description: '<h1>About us</h1>' });
    const discussions: number[] = [];
    for (let i = 0; i < 5; i++) {
      discussions.push(
        await world.insert('discussions', {
          group_id: group,
          author_id: author,
          title: 't',
          description: `<h2>Part ${i}</h2><p>text</p><h2>Part ${i}</h2>`,
        }),
      );
    }
    const markdown = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 'md',
      description: '<h2>left alone</h2>',
      description_format: 'md',
    });
    const plain = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 'plain',
      description: '<p>no <b>heading</b><br/></p>',
    });
    const comment = await world.insert('comments', {
      discussion_id: discussions[0],
      author_id: author,
      body: '<h3 id="mine">Kept</h3><h3>Kept</h3>',
    });
    const poll = await world.insert('polls', {
      group_id: group,
      author_id: author,
      title: 'p',
      poll_type: 'proposal',
      details: '<h4>Options</h4>',
    });
    const outcome = await world.insert('outcomes', {
      poll_id: poll,
      author_id: author,
      statement: '<h5>Done</h5>',
    });
    const stance = await world.insert('stances', {
      poll_id: poll,
      participant_id: author,
      reason: '<h6>Because</h6>',
    });

    const backfill = new HeadingIdBackfill(db, 2);
    let batches = 0;
    await expect(
      backfill.run({
        afterBatch: () => {
          if (++batches === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    // Two batches of discussions are done; someone edits a finished row meanwhile.
    expect(await field('discussions', 'description', discussions[0])).toBe(
      '<h2 id="part-0">Part 0</h2><p>text</p><h2 id="part-0-2">Part 0</h2>',
    );
    expect(await field('discussions', 'description', discussions[4])).toBe(
      '<h2>Part 4</h2><p>text</p><h2>Part 4</h2>',
    );
    await db.query(`UPDATE discussions SET description = '<h1>edited later</h1>' WHERE id = $1`, [
      discussions[1],
    ]);

    const updated = await backfill.run();
    expect(updated).toEqual({
      'discussions.description': 1,
      'comments.body': 1,
      'polls.details': 1,
      'outcomes.statement': 1,
      'stances.reason': 1,
      'groups.description': 1,
    });
    expect(await field('discussions', 'description', discussions[1])).toBe('<h1>edited later</h1>');
    expect(await field('discussions', 'description', discussions[4])).toBe(
      '<h2 id="part-4">Part 4</h2><p>text</p><h2 id="part-4-2">Part 4</h2>',
    );
    expect(await field('discussions', 'description', markdown)).toBe('<h2>left alone</h2>');
    expect(await field('discussions', 'description', plain)).toBe('<p>no <b>heading</b><br/></p>');
    expect(await field('comments', 'body', comment)).toBe('<h3 id="mine">Kept</h3><h3 id="kept">Kept</h3>');
    expect(await field('polls', 'details', poll)).toBe('<h4 id="options">Options</h4>');
    expect(await field('outcomes', 'statement', outcome)).toBe('<h5 id="done">Done</h5>');
    expect(await field('stances', 'reason', stance)).toBe('<h6 id="because">Because</h6>');
    expect(await field('groups', 'description', group)).toBe('<h1 id="about-us">About us</h1>');

    // Redelivered after the end: nothing to read, nothing written.
    const before = await databaseDigest(db);
    expect(Object.values(await backfill.run()).every((n) => n === 0)).toBe(true);
    expect(await databaseDigest(db)).toEqual(before);

    // Rows created after a run are the next run's.
    const later = await world.insert('comments', {
      discussion_id: discussions[0],
      author_id: author,
      body: '<h2>New</h2>',
    });
    expect((await backfill.run())['comments.body']).toBe(1);
    expect(await field('comments', 'body', later)).toBe('<h2 id="new">New</h2>');
  });

  it('runs as a job, and dead-letters a malformed request without changing anything', async () => {
    janitor = await startServiceUnderTest({
      name: 'janitor',
      module: JanitorModule,
      configSchema: JanitorConfigSchema,
      natsUrl: nats.url,
      databaseUrl: database.url,
    });
    const author = await world.user();
    const group = await world.insert('groups', { name: 'H' });
    const discussion = await world.insert('discussions', {
      group_id: group,
      author_id: author,
      title: 't',
      description: '<h2>Job</h2>',
    });
    const before = await databaseDigest(db);
    const letter = await publishAndAwaitDeadLetter(client, 'jobs.janitor.add-heading-ids', {
      table: 'users',
    });
    expect(letter.header.get('Dlq-Reason')).toBe('invalid-payload');
    expect(await databaseDigest(db)).toEqual(before);

    await client.jetstream().publish('jobs.janitor.add-heading-ids', '{}');
    await waitFor(
      async () => (await field('discussions', 'description', discussion)) === '<h2 id="job">Job</h2>',
    );
  });
});
