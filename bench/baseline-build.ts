// --baseline <ref>: another commit of this repository, built where it does
// not disturb the working tree, so that both builds can run side by side in
// one bench run (a ratio measured in one run is worth more than two absolute
// figures from different days on a shared machine).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BaselineBuild {
  /** The ref as given (`main`, `7a405e8`, `HEAD~3`). */
  ref: string;
  /** What it resolved to. */
  commit: string;
  /** The commit's files with node_modules and dist/. */
  dir: string;
  /** dist/main.js inside `dir`, what its instances run. */
  entry: string;
  /** False when an earlier run's build of the same commit was reused. */
  built: boolean;
}

/** Built commits live here, one directory per commit hash, kept for the next run. */
export const BASELINE_CACHE = path.join(os.tmpdir(), 'chat-bench-baseline');

/** Written last: a directory without it is a build that did not finish. */
const MARKER = '.bench-baseline-commit';

function git(repo: string, args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
}

/** Runs a build step with its output on our stderr (progress), failing on a non-zero exit. */
function step(cwd: string, command: string, args: string[], log: (m: string) => void): void {
  log(`baseline: ${command} ${args.join(' ')} (in ${cwd})`);
  execFileSync(command, args, { cwd, stdio: ['ignore', 2, 2] });
}

/**
 * The build of `ref` under BASELINE_CACHE/<commit>, reused when that
 * directory already holds a finished build of that exact commit.
 *
 * The files come from `git archive`, not `git worktree add`: a worktree
 * stays registered in the repository (and in `git worktree list`) for as
 * long as its directory lives, and this one outlives the run on purpose;
 * an archive is the same tree with nothing to unregister. It is extracted
 * and built in a directory of its own and renamed into place only when
 * built, so a failed or interrupted build is never mistaken for a finished
 * one, and two runs building the same commit at once do not share a
 * half-built directory.
 */
export function prepareBaseline(repo: string, ref: string, log: (m: string) => void): BaselineBuild {
  let commit: string;
  try {
    commit = git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of ${repo}`);
  }
  const dir = path.join(BASELINE_CACHE, commit);
  const entry = path.join(dir, 'dist', 'main.js');
  if (isBuilt(dir, commit)) {
    log(`baseline: ${ref} = ${commit.slice(0, 12)}, reusing the build in ${dir}`);
    return { ref, commit, dir, entry, built: false };
  }
  fs.mkdirSync(BASELINE_CACHE, { recursive: true });
  const staging = fs.mkdtempSync(path.join(BASELINE_CACHE, `${commit.slice(0, 12)}-building-`));
  try {
    log(`baseline: ${ref} = ${commit.slice(0, 12)}, building in ${staging}`);
    const archive = path.join(staging, '.source.tar');
    git(repo, ['archive', '--format=tar', `--output=${archive}`, commit]);
    execFileSync('tar', ['-xf', archive, '-C', staging]);
    fs.rmSync(archive);
    step(staging, 'npm', ['ci', '--no-audit', '--no-fund'], log);
    step(staging, 'npm', ['run', 'build'], log);
    fs.writeFileSync(path.join(staging, MARKER), commit + '\n');
    moveIntoPlace(staging, dir, commit);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (!fs.existsSync(entry)) {
    throw new Error(`baseline ${ref} built, but has no ${path.relative(dir, entry)}`);
  }
  log(`baseline: built ${commit.slice(0, 12)} in ${dir} (kept for the next run)`);
  return { ref, commit, dir, entry, built: true };
}

/** Renames the finished build to `dir`, unless another run finished the same commit first. */
function moveIntoPlace(staging: string, dir: string, commit: string): void {
  if (!isBuilt(dir, commit)) {
    fs.rmSync(dir, { recursive: true, force: true }); // left by a build that did not finish
  }
  try {
    fs.renameSync(staging, dir);
  } catch (e) {
    if (!isBuilt(dir, commit)) {
      throw e;
    }
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function isBuilt(dir: string, commit: string): boolean {
  try {
    return (
      fs.readFileSync(path.join(dir, MARKER), 'utf8').trim() === commit &&
      fs.existsSync(path.join(dir, 'dist', 'main.js'))
    );
  } catch {
    return false;
  }
}
