// Builds the optional native addon with node-gyp during `npm install`.
//
// The addon is optional at every level: when there is no compiler, no node-gyp, or the
// build fails, this prints one line saying so and exits 0, and beamjs uses the JS twin
// of every native function. BEAMJS_NATIVE=0 skips the build altogether.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const notice = (why) =>
  console.log(`beamjs: native addon not built (${why}); the JavaScript twin will be used.`);

function findNodeGyp() {
  const require = createRequire(join(root, 'package.json'));
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm exposes its bundled node-gyp to install scripts.
    const bundled = process.env.npm_config_node_gyp;
    return bundled && existsSync(bundled) ? bundled : undefined;
  }
}

if (process.env.BEAMJS_NATIVE === '0') {
  notice('BEAMJS_NATIVE=0');
} else if (!existsSync(join(root, 'binding.gyp'))) {
  notice('no binding.gyp');
} else {
  const nodeGyp = findNodeGyp();
  if (nodeGyp === undefined) {
    notice('node-gyp is not installed');
  } else {
    const result = spawnSync(process.execPath, [nodeGyp, 'rebuild'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status === 0) {
      console.log('beamjs: native addon built (build/Release/beamjs_native.node).');
    } else {
      const lastLine = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').pop() ?? '';
      notice(`node-gyp failed: ${lastLine.slice(0, 160) || `exit ${result.status}`}`);
    }
  }
}
