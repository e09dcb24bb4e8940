"use strict";
// Entry Pulumi's policy runner loads (package.json "main"). The rules are TypeScript; the runner
// would compile them with its vendored ts-node 7 and type-checking, which does not work with
// TypeScript 6. tsx's CommonJS hook compiles them with esbuild instead (no type-checking at
// deploy time: `npm test` runs tsc in strict mode). It must be registered before pack.ts loads.
require("tsx/cjs/api").register();
require("./pack.ts");
