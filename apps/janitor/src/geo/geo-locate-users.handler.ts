import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subjects } from '@lib/contracts';
import {
  DiscardError,
  EventPattern,
  LOGGER,
  SERVICE_CONFIG,
  UnrecoverableError,
  type JobContext,
} from '@lib/jetstream';
import type { JanitorConfig } from '../config';
import { CountryDatabase, GeoDatabaseError, UserGeolocation } from './user-geolocation';

@Injectable()
export class GeoLocateUsersHandler {
  constructor(
    @Inject(UserGeolocation) private readonly geolocation: UserGeolocation,
    @Inject(SERVICE_CONFIG) private readonly config: JanitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Subjects.GeoLocateUsers)
  async handle(_payload: Record<string, never>, ctx: JobContext): Promise<void> {
    const path = this.config.GEOIP_DATABASE_PATH;
    if (!path) throw new DiscardError('GEOIP_DATABASE_PATH is not set: users are not geo-located');
    let database: CountryDatabase;
    try {
      database = await CountryDatabase.open(path);
    } catch (error) {
      // Retrying reads the same file: the operator has to fix it, the dead letter says what is wrong.
      if (error instanceof GeoDatabaseError) throw new UnrecoverableError(error.message);
      throw error;
    }
    const report = await this.geolocation.locate(database, () => ctx.working());
    this.logger.info(report, 'users geo-located');
  }
}
