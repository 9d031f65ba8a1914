// cli/commands/image.ts — image store commands: load, save, import, images, rmi, tag, history, image inspect (CLI process)
import { Command } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
// store.js and inspect.js, not image/index.js: its load/import/save re-exports would load the archive
// code (tar, zod) for `images` and `inspect` too; the store imports that code when a command needs it
import { openStore, type ImageStore } from '../../image/store.js';
import { imageRows, inspectImage } from '../../image/inspect.js';
import { table } from '../../image/format.js';
import { progressBar } from '../../image/progress.js';

/** storeRoot: --root, else TSSANDBOX_ROOT, else /var/lib/tssandbox (root) or $XDG_DATA_HOME/tssandbox. */
export function storeRoot(program: Command): string {
  const opt = program.opts().root as string | undefined;
  if (opt) return opt;
  if (process.env.TSSANDBOX_ROOT) return process.env.TSSANDBOX_ROOT;
  if (process.getuid?.() === 0) return '/var/lib/tssandbox';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tssandbox');
}

function formatOpt(v: string): 'table' | 'json' {
  if (v !== 'table' && v !== 'json') fail('TSS_EUSAGE', 'use --format', v, 'expected table or json');
  return v;
}

export function register(program: Command): void {
  const store = (): ImageStore => openStore(storeRoot(program));
  const out = (s: string): void => { process.stdout.write(s); };

  const load = (cmd: Command): Command => cmd
    .description('load images from a docker save archive, an OCI layout archive or directory (verifies every digest)')
    .option('-i, --input <file>', "archive or OCI layout dir ('-' = stdin)", '-')
    .option('-q, --quiet', 'print only the image refs')
    .option('--format <fmt>', 'table or json', 'table')
    .action(async (o: { input: string; quiet?: boolean; format: string }) => {
      const fmt = formatOpt(o.format);
      if (o.input === '-' && process.stdin.isTTY) fail('TSS_EUSAGE', 'load', '-', 'stdin is a terminal; give -i FILE');
      const bar = progressBar('Loading', process.stderr);
      const loaded = await store().load(o.input, fmt === 'table' && !o.quiet ? bar : {}).finally(() => bar.done());
      if (fmt === 'json') { out(`${JSON.stringify(loaded)}\n`); return; }
      for (const l of loaded) {
        if (l.tags.length === 0) out(`Loaded image ID: ${l.id}\n`);
        for (const t of l.tags) out(`Loaded image: ${t}\n`);
      }
    });

  const save = (cmd: Command): Command => cmd
    .description('write images to a docker save archive (loadable by docker, podman and tssandbox)')
    .argument('<ref...>', 'images to save')
    .option('-o, --output <file>', "archive to write ('-' = stdout)", '-')
    .action(async (refs: string[], o: { output: string }) => {
      if (o.output === '-' && process.stdout.isTTY) fail('TSS_EUSAGE', 'save', '-', 'refusing to write an archive to a terminal; give -o FILE');
      await store().save(o.output, refs);
    });

  const imp = (cmd: Command): Command => cmd
    .description('import a root filesystem tar (plain, gzip or zstd) as a one-layer image')
    .argument('<rootfs>', "the tar ('-' = stdin)")
    .argument('<ref>', 'name[:tag] to give the image')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL); repeatable', (v: string, p: string[]) => [...p, v], [] as string[])
    .action(async (path: string, ref: string, o: { change: string[] }) => {
      const bar = progressBar('Importing', process.stderr);
      const id = await store().importRootfs(path, ref, { ...bar, changes: o.change }).finally(() => bar.done());
      out(`${id}\n`);
    });

  const list = (cmd: Command): Command => cmd
    .description('list images')
    .option('--format <fmt>', 'table or json', 'table')
    .option('-q, --quiet', 'only image ids')
    .action((o: { format: string; quiet?: boolean }) => {
      const fmt = formatOpt(o.format);
      const rows = imageRows(store().list());
      if (o.quiet) { out([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join('')); return; }
      if (fmt === 'json') { out(rows.map((r) => `${JSON.stringify(r)}\n`).join('')); return; }
      out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size])));
    });

  const rmi = (cmd: Command): Command => cmd
    .description('remove images (and the layers no other image uses)')
    .argument('<ref...>', 'images')
    .option('-f, --force', 'remove even if tagged several times or used by a container')
    .action(async (refs: string[], o: { force?: boolean }) => {
      const s = store();
      for (const r of refs) out((await s.remove(r, { force: Boolean(o.force) })).map((l) => `${l}\n`).join(''));
    });

  const tag = (cmd: Command): Command => cmd
    .description('give an image another name')
    .argument('<source>', 'existing image').argument('<target>', 'new name[:tag]')
    .action(async (src: string, dst: string) => { await store().tag(src, dst); });

  const history = (cmd: Command): Command => cmd
    .description("show an image's history")
    .argument('<ref>', 'image')
    .option('--format <fmt>', 'table or json', 'table')
    .option('--no-trunc', 'do not truncate output')
    .action((ref: string, o: { format: string; trunc: boolean }) => {
      const rows = store().history(ref);
      if (formatOpt(o.format) === 'json') { out(rows.map((r) => `${JSON.stringify(r)}\n`).join('')); return; }
      const cut = (s: string): string => (o.trunc && s.length > 45 ? `${s.slice(0, 44)}…` : s);
      out(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows.map((r) => [r.ID, r.CreatedSince, cut(r.CreatedBy), r.Size, r.Comment])));
    });

  const inspect = (cmd: Command): Command => cmd
    .description('show images as JSON (docker image inspect)')
    .argument('<ref...>', 'images')
    .action((refs: string[]) => {
      const s = store();
      out(`${JSON.stringify(refs.map((r) => inspectImage(s, r)), null, 4)}\n`);
    });

  load(program.command('load'));
  save(program.command('save'));
  imp(program.command('import'));
  list(program.command('images'));
  rmi(program.command('rmi'));
  tag(program.command('tag'));
  history(program.command('history'));

  const group = program.command('image').description('manage images');
  load(group.command('load'));
  save(group.command('save'));
  imp(group.command('import'));
  list(group.command('ls').alias('list'));
  rmi(group.command('rm'));
  tag(group.command('tag'));
  history(group.command('history'));
  inspect(group.command('inspect'));
}
