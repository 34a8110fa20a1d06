// The independent judge: decides a batch of AWS requests with @cloud-copilot/iam-simulate.
//
// stdin: a JSON list of cases {id, principal, action, resource, accountId, context,
//   identityPolicies: [{name, policy}], resourcePolicy: {name, policy} | null, blockPublicAccess}
// stdout: a JSON list of results {id, decision, engine, ignored, error}
//   decision: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | null (error)
//
// Known defect of iam-simulate 0.1.x (0.1.173 here): runSimulation drops request context keys of
// the form kms:EncryptionContext:<key> (it matches templated keys only when they contain "/"), so
// an encryption-context condition is never met. Workaround, used only for such requests: the case
// is validated by runSimulation first (policies, action, resource type, every other context key);
// when the only keys it ignored are kms:EncryptionContext:<key>, the decision is made by
// runUnsafeSimulation with the full context (same policy engine, no key filtering). Policies are
// passed as ValidatedPolicy objects, which also gives the unsafe run the policy names it needs.
// tests/permissions/test_judge.py shows both engines deciding known cases of each condition kind.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy'

const ENCRYPTION_CONTEXT_KEY = /^kms:EncryptionContext:.+$/i

function simulationOf(testCase) {
  const resourcePolicy = testCase.resourcePolicy
    ? createValidatedPolicy(testCase.resourcePolicy.policy, validateResourcePolicy, {
        name: testCase.resourcePolicy.name
      })
    : undefined
  return {
    request: {
      principal: testCase.principal,
      action: testCase.action,
      resource: { resource: testCase.resource, accountId: testCase.accountId },
      contextVariables: testCase.context ?? {}
    },
    identityPolicies: (testCase.identityPolicies ?? []).map(({ name, policy }) => ({
      name,
      policy: createValidatedPolicy(policy, validateIdentityPolicy, { name })
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
    additionalSettings: { s3: { blockPublicAccess: Boolean(testCase.blockPublicAccess) } }
  }
}

async function decide(testCase, forceUnsafe) {
  const simulation = simulationOf(testCase)
  const validated = await runSimulation(simulation, {})
  if (validated.resultType === 'error') {
    return { decision: null, engine: 'validated', ignored: [], error: validated.errors }
  }
  if (validated.resultType !== 'single') {
    return { decision: null, engine: 'validated', ignored: [], error: 'wildcard resource' }
  }
  const ignored = validated.result.ignoredContextKeys ?? []
  const unexpected = ignored.filter((key) => !ENCRYPTION_CONTEXT_KEY.test(key))
  if (unexpected.length > 0) {
    // A key the action does not take: the case is wrong, never silently judged without it.
    return { decision: null, engine: 'validated', ignored, error: `ignored context keys ${unexpected}` }
  }
  if (ignored.length === 0 && !forceUnsafe) {
    return { decision: validated.overallResult, engine: 'validated', ignored }
  }
  const decision = runUnsafeSimulation(simulation, {})
  return { decision, engine: 'unsafe-with-encryption-context', ignored }
}

const input = JSON.parse(await new Promise((resolve, reject) => {
  let text = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => (text += chunk))
  process.stdin.on('end', () => resolve(text))
  process.stdin.on('error', reject)
}))
const results = []
for (const testCase of input.cases) {
  try {
    results.push({ id: testCase.id, ...(await decide(testCase, Boolean(input.forceUnsafe))) })
  } catch (error) {
    results.push({ id: testCase.id, decision: null, engine: 'error', ignored: [], error: String(error) })
  }
}
process.stdout.write(JSON.stringify(results))
