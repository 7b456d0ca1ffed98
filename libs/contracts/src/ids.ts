import { z } from 'zod';

/** Row ids of the application's PostgreSQL tables (bigint serials, sent as positive integers). */
export const Id = z.number().int().positive();
export const IsoTimestamp = z.iso.datetime({ offset: true });
