// How the tests start Debian's Chromium (/usr/bin/chromium, installed by .ci/run; never a downloaded
// browser): headless, no sandbox (CI runs as root), and none of Chromium's own connections (the machine
// reaches nothing beyond 127.0.0.1 and refuses them). Each run adds a fresh --user-data-dir.

export const chromiumPath = '/usr/bin/chromium';

export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;
