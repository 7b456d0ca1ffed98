import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';

/**
 * `npm run bench` runs the output of `tsc -p bench/tsconfig.json` (dist/bench/{bench,libs}), so that no
 * process carries ts-node and the TypeScript compiler in its heap; there `@lib/*` must map to the compiled
 * libs beside this file, not to their TypeScript sources. Under ts-node (`-r tsconfig-paths/register`)
 * nothing is needed.
 */
export const Compiled = __filename.endsWith('.js');

/** The repository: node_modules and tsconfig.json live there. */
export const RepoRoot = Compiled ? join(__dirname, '..', '..', '..') : join(__dirname, '..');

if (Compiled) {
  const tsconfig = JSON.parse(readFileSync(join(RepoRoot, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  register({ baseUrl: join(__dirname, '..'), paths: tsconfig.compilerOptions.paths });
}
