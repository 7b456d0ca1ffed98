import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Subjects, type PayloadOf, type StanceCreated } from '@lib/contracts';
import { EventPattern } from '@lib/jetstream';
import { recomputePollCounts } from './poll-counts';

@Injectable()
export class UpdatePollCountsHandler {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @EventPattern([Subjects.StanceCreated, Subjects.StanceRevoked, Subjects.StanceRestored])
  async handle({ pollId }: Pick<PayloadOf<typeof StanceCreated>, 'pollId'>): Promise<void> {
    await this.dataSource.transaction((manager) => recomputePollCounts(manager, pollId));
  }
}
