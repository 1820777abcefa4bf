import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
/** Folders that hold no sources of ours: installs, build outputs, the stack's state. */
const NOT_SOURCES = new Set(['node_modules', 'dist', 'lib', 'dist-types', 'coverage', 'test-artifacts']);

/** Every TypeScript file of the repository, relative to its root. */
function sourceFiles(dir: string = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || NOT_SOURCES.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

/** The files `tsc -b` checks: those of the root tsconfig.json's projects and of the projects they reference, transitively. */
function typeCheckedFiles(): Set<string> {
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (configFile: string): void => {
    if (seen.has(configFile)) return;
    seen.add(configFile);
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
    if (!parsed) throw new Error(`${configFile} could not be read`);
    for (const file of parsed.fileNames) files.add(relative(ROOT, file));
    for (const reference of parsed.projectReferences ?? []) visit(ts.resolveProjectReferencePath(reference));
  };
  visit(resolve(ROOT, 'tsconfig.json'));
  return files;
}

describe('the typecheck (tsc -b)', () => {
  it('covers every TypeScript file of every workspace, tests included', () => {
    const checked = typeCheckedFiles();
    const unchecked = sourceFiles().filter((file) => !checked.has(file));
    expect(unchecked).toEqual([]);
  });

  it('finds the files on both sides, so the check above cannot pass by finding none', () => {
    const self = relative(ROOT, __filename);
    expect(sourceFiles()).toContain(self);
    expect(typeCheckedFiles()).toContain(self);
  });
});
