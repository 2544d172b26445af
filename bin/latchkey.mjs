#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=30
// The V8 flags keep the heap small (see README, "Memory"); npm start passes the same ones.
// Node 22.18+ strips TypeScript types natively, so the CLI runs from source with no build step.
import '../src/cli.ts';
