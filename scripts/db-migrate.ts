/*
 * npm run db:migrate               apply every pending migration
 * npm run db:migrate -- --revert   undo the most recent one
 * DATABASE_URL defaults to the local development database.
 */
import { migrateDatabase, revertLastMigration } from '@lib/db';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const where = url.replace(/\/\/[^@/]*@/, '//***@');
  if (process.argv.includes('--revert')) {
    const { reverted } = await revertLastMigration(url);
    process.stdout.write(reverted ? `reverted ${reverted} on ${where}\n` : `nothing to revert on ${where}\n`);
    return;
  }
  const { applied } = await migrateDatabase(url);
  process.stdout.write(
    applied.length > 0
      ? `applied ${applied.join(', ')} on ${where}\n`
      : `schema already current on ${where}\n`,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`db:migrate failed: ${error.message}\n`);
  process.exit(1);
});
