// Summarizes a V8 .cpuprofile (from `npm run bench -- --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=DIR`):
// top functions by self time and by total (inclusive) time.
//
//   npx tsx bench/cpuprofile-summary.ts DIR/CPU.*.cpuprofile [--top 30] [--filter src/] [--last SECONDS]
//
// --last counts only the profile's last SECONDS (e.g. a benchmark's load, not its setup).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules)\//, '$1/');
  const name = frame.functionName || '(anonymous)';
  return file ? `${name} ${file}:${frame.lineNumber + 1}` : name;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, filter: { type: 'string' }, last: { type: 'string' } },
  });
  const top = Number(values.top ?? 30);
  for (const file of positionals) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

    const selfMs = new Map<number, number>();
    const from = values.last === undefined ? -Infinity : profile.endTime - Number(values.last) * 1e6;
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (at < from) continue;
      const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
      selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + dt);
    }
    const totalMs = (profile.endTime - Math.max(profile.startTime, from)) / 1000;

    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    for (const [id, ms] of selfMs) {
      const node = byId.get(id)!;
      self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + ms);
      // Count each function once per sample stack, even when recursive.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const l = label(byId.get(cur)!.callFrame);
        if (seen.has(l)) continue;
        seen.add(l);
        inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
      }
    }
    const print = (title: string, map: Map<string, number>) => {
      console.log(`\n${title}`);
      const rows = [...map].filter(([l]) => !values.filter || l.includes(values.filter)).sort((a, b) => b[1] - a[1]).slice(0, top);
      for (const [l, ms] of rows) console.log(`${ms.toFixed(0).padStart(8)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${l}`);
    };
    console.log(`${file}: ${totalMs.toFixed(0)} ms profiled`);
    print('self time', self);
    print('total time', inclusive);
  }
}

main();
