#!/usr/bin/env node
// Compiled by `npm install` (the workspace's `prepare` runs `tsc -b`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
