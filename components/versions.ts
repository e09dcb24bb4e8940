/**
 * Every chart, image and extension version the platform deploys, pinned in one place.
 * Upgrading one is a one-line change here, reviewed like code; nothing floats (`latest`,
 * version ranges, auto-upgrading minor versions).
 */

// --- Mesh and edge (charts and images on the cluster) -------------------------------------

// --- Azure (cluster extensions) -----------------------------------------------------------
