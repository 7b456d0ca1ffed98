import { z } from 'zod';
import { contractMap, defineEvent, defineJob, subjectsHandledBy } from './contract';
import { Contracts, Subjects } from './registry';

const schema = z.object({ id: z.number() });

describe('contracts', () => {
  it('refuse subjects that do not follow the naming rules', () => {
    expect(() => defineEvent({ subject: 'events.poll.Closed', schema, description: '' })).toThrow(/events\./);
    expect(() => defineJob({ subject: 'jobs.janitor', schema, description: '' })).toThrow(/jobs\.<service>/);
    expect(() => defineJob({ subject: 'events.x.y', schema, description: '' })).toThrow();
  });

  it('refuse impossible processing options', () => {
    expect(() =>
      defineJob({ subject: 'jobs.a.b', schema, description: '', options: { maxAttempts: 0 } }),
    ).toThrow(/maxAttempts/);
    expect(() =>
      defineJob({ subject: 'jobs.a.b', schema, description: '', options: { concurrency: 1.5 } }),
    ).toThrow(/concurrency/);
  });

  it('derive the owning service of a job from its subject and default to Sidekiq-like options', () => {
    const job = defineJob({ subject: 'jobs.janitor.destroy-group', schema, description: '' });
    expect(job.service).toBe('janitor');
    expect(job.options).toMatchObject({ priority: 'default', maxAttempts: 25, backoff: { type: 'sidekiq' } });
  });

  it('refuse a subject declared twice', () => {
    const job = defineJob({ subject: 'jobs.a.b', schema, description: '' });
    expect(() => contractMap(job, job)).toThrow(/declared twice/);
  });

  it('list the subjects a service handles', () => {
    const map = contractMap(
      defineJob({ subject: 'jobs.poller.close-expired-polls', schema, description: '' }),
      defineEvent({
        subject: 'events.stance.created',
        schema,
        description: '',
        consumers: ['poller', 'notifier'],
      }),
    );
    expect(subjectsHandledBy(map, 'poller').map((c) => c.subject)).toEqual([
      'jobs.poller.close-expired-polls',
      'events.stance.created',
    ]);
    expect(subjectsHandledBy(map, 'notifier').map((c) => c.subject)).toEqual(['events.stance.created']);
  });

  it('expose every subject as a literal constant', () => {
    expect(Subjects.PollClosed).toBe('events.poll.closed');
    expect(Subjects.GroupExportRequested).toBe('events.group.export-requested');
    expect(Subjects.PruneProcessedMessages).toBe('jobs.janitor.prune-processed-messages');
    expect(Object.values(Subjects).sort()).toEqual(Object.keys(Contracts).sort());
  });
});
