// The scaling control's background (control-load.ts): keeps `share`
// (argv[2], 0–1) of a core busy in 10 ms slices, standing in for the
// Postgres, Redis and load-generator work that shared the machine with the
// chat's instances.
const share = Math.min(Math.max(Number(process.argv[2]), 0), 1);
const SLICE_MS = 10;

function slice(): void {
  const end = performance.now() + share * SLICE_MS;
  while (performance.now() < end) {
    // busy: this is the load
  }
  setTimeout(slice, (1 - share) * SLICE_MS);
}

slice();
process.send!('ready'); // started: from here it only burns
process.on('disconnect', () => process.exit());
