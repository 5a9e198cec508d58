// Module boundaries, checked by `npm run lint`. The server is layered: a module may import its own layer or the
// layers below it, never one above — so two folders can never import each other and a newcomer can read the code
// bottom-up. Type-only imports count (they are still a dependency of the design).
//
// Layers, bottom to top (a path prefix each; the first match wins):
const LAYERS = [
  ['kernel', '^server/(errors|log|project-root|clean-text)\\.ts$|^server/http/'],
  ['fhir-resources', '^fhir-resources/'],
  ['config', '^server/config\\.ts$'],
  ['store', '^server/store/'],
  ['audit', '^server/audit/'],
  ['content', '^server/content/'],
  ['chart', '^server/chart/'],
  ['tailoring', '^server/tailoring/'],
  ['launch', '^server/launch/'],
  ['chart-snapshot', '^server/chart-snapshot/'],
  ['consent', '^server/consent/'],
  ['handout', '^server/handout/'],
  ['writeback', '^server/writeback/'],
  ['gap-report', '^server/gap-report/'],
  ['compliance', '^server/compliance/'],
  ['features', '^server/(clinician|cli)/'],
  ['app', '^server/app\\.ts$'],
  ['boot', '^server/(boot|main|gaps-main)\\.ts$'],
];

/** One rule per layer: nothing in it may import a layer above it. */
const upward = LAYERS.map(([name, path], index) => {
  const above = LAYERS.slice(index + 1).map(([, p]) => `(${p})`);
  return above.length === 0
    ? undefined
    : {
        name: `layer-${name}-depends-downward-only`,
        comment: `${name} may import only the layers below it (see .dependency-cruiser.cjs): move the shared code down instead.`,
        severity: 'error',
        from: { path },
        to: { path: above.join('|') },
      };
}).filter((rule) => rule !== undefined);

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'Modules that import each other at run time cannot be understood, loaded or tested alone (a shared type may sit beside the code that uses it).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'server-layers-cover-every-folder',
      comment: 'A new server folder must be given its place in LAYERS (or belong to the sandbox).',
      severity: 'error',
      from: { path: '^server/', pathNot: [...LAYERS.map(([, p]) => p), '^server/sandbox/'] },
      to: {},
    },
    {
      name: 'production-never-imports-the-sandbox',
      comment: 'The sandbox EHR is loaded by boot only when it is on (a dynamic import); production code never needs it.',
      severity: 'error',
      from: { path: '^(server|fhir-resources|client)/', pathNot: ['^server/sandbox/', '^server/boot\\.ts$'] },
      to: { path: '^server/sandbox/' },
    },
    {
      name: 'sandbox-imports-only-the-kernel',
      comment: 'The sandbox EHR stands beside the app: it may share the kernel and the FHIR definitions, nothing else.',
      severity: 'error',
      from: { path: '^server/sandbox/' },
      to: { path: '^server/', pathNot: ['^server/sandbox/', LAYERS[0][1]] },
    },
    {
      name: 'production-never-imports-tests',
      severity: 'error',
      from: { path: '^(server|fhir-resources|client)/' },
      to: { path: '^tests/' },
    },
    {
      name: 'client-imports-only-shared-types',
      comment: 'The browser bundle may share the server\'s types, never its code (secrets, Node built-ins, size).',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(server|fhir-resources)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
