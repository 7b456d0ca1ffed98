import { readFile } from 'node:fs/promises';
import { Reader, type CountryResponse } from 'maxmind';
import type { DataSource } from 'typeorm';

export class GeoDatabaseError extends Error {}

/** Country lookups in a local MaxMind DB file (GeoLite2-Country, DB-IP country lite, ...). */
export class CountryDatabase {
  private constructor(private readonly reader: Reader<CountryResponse>) {}

  /** Reads the whole file once per run; a missing or malformed file is a configuration error. */
  static async open(path: string): Promise<CountryDatabase> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new GeoDatabaseError(`GEOIP_DATABASE_PATH ${path} cannot be read: ${(error as Error).message}`);
    }
    try {
      return new CountryDatabase(new Reader<CountryResponse>(bytes));
    } catch (error) {
      throw new GeoDatabaseError(
        `GEOIP_DATABASE_PATH ${path} is not a MaxMind DB file: ${(error as Error).message}`,
      );
    }
  }

  /** The ISO 3166 code of the address's country, or null (private, unknown, or an IPv6 address in an IPv4 file). */
  country(ip: string): string | null {
    let found: CountryResponse | null;
    try {
      found = this.reader.get(ip);
    } catch {
      return null;
    }
    const code = found?.country?.iso_code ?? found?.registered_country?.iso_code;
    return code && /^[A-Z]{2}$/.test(code) ? code : null;
  }
}

export interface GeolocationReport {
  examined: number;
  located: number;
}

/**
 * geo-locate-users: users without a country and with a last sign-in address get the country of that address.
 * Walked by id in batches; each update keeps `country IS NULL`, so a country set meanwhile (by the user, or a
 * concurrent run) is never overwritten and a re-run changes nothing. Unlocatable users are only read again.
 */
export class UserGeolocation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  async locate(database: CountryDatabase, afterBatch?: () => void): Promise<GeolocationReport> {
    const report: GeolocationReport = { examined: 0, located: 0 };
    let lastId = '0';
    for (;;) {
      const users = (await this.dataSource.query(
        `SELECT id, host(last_sign_in_ip) AS ip FROM users
         WHERE country IS NULL AND last_sign_in_ip IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`,
        [lastId, this.batchSize],
      )) as { id: string; ip: string }[];
      if (users.length === 0) return report;
      const located = users
        .map((user) => ({ id: user.id, country: database.country(user.ip) }))
        .filter((user): user is { id: string; country: string } => user.country !== null);
      if (located.length > 0) {
        const [, updated] = (await this.dataSource.query(
          `UPDATE users u SET country = located.country, updated_at = now()
           FROM unnest($1::bigint[], $2::varchar[]) AS located(id, country)
           WHERE u.id = located.id AND u.country IS NULL`,
          [located.map((user) => user.id), located.map((user) => user.country)],
        )) as [unknown, number];
        report.located += updated;
      }
      report.examined += users.length;
      lastId = users[users.length - 1].id;
      afterBatch?.();
      if (users.length < this.batchSize) return report;
    }
  }
}
