// Runs before `npm test` (the `pretest` script): the differential tests compare beamjs with
// real Erlang/OTP, so `erl` must be installed. On a Debian machine where we are root, this
// installs Debian's erlang-nox (OTP 25); elsewhere it says what to install and fails.
// BEAMJS_NO_ERL=1 leaves the differential tests out on purpose (they then fail loudly
// instead of passing silently if run without it).
import { spawnSync } from 'node:child_process';

const has = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

if (process.env.BEAMJS_NO_ERL === '1') {
  console.log('beamjs tests: BEAMJS_NO_ERL=1, differential tests against erl are left out');
} else if (!has('erl', ['-noshell', '-eval', 'halt().'])) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get', ['--version'])) {
    console.log('beamjs tests: erl not found; installing Debian erlang-nox (apt-get) for the differential tests');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', 'erlang-nox'], { stdio: 'inherit', env });
    if (!install || install.status !== 0) {
      console.error('beamjs tests: installing erlang-nox failed; install Erlang/OTP 25+ and run again');
      process.exit(1);
    }
  } else {
    console.error('beamjs tests: erl not found. Install Erlang/OTP 25+ (Debian: apt-get install -y erlang-nox), or set BEAMJS_NO_ERL=1 to leave the differential tests out.');
    process.exit(1);
  }
}
