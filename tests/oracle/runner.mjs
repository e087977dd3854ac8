// Test-only: answers IAM authorization requests with iam-simulate, an independent evaluator, for the
// differential tests (tests/connectors/aws/oracle.py starts it). One long-lived process: each line on stdin
// is one JSON Simulation (iam-simulate's input shape, with "principal": "anonymous" standing for an
// unsigned request); each line on stdout is its answer, in the same order:
//   {"result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"}
//   {"error": <iam-simulate's validation errors, or the exception's message>}
// Strict mode: every condition is evaluated against the request's context exactly as given.
import { createInterface } from 'node:readline'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
let scheduled = false
// Answers go out in batches: a caller that sends thousands of lines reads thousands of answers, and one
// write per line would cost a system call each. A batch ends when the lines already received are answered.
const flush = () => {
  scheduled = false
  if (out.length > 0) {
    process.stdout.write(out.join('\n') + '\n')
    out.length = 0
  }
}

async function answer(line) {
  try {
    const simulation = JSON.parse(line)
    if (simulation.request.principal === 'anonymous') {
      simulation.request.principal = anonymousPrincipal
    }
    const response = await runSimulation(simulation, { simulationMode: 'Strict' })
    if (response.resultType === 'error') {
      return { error: response.errors }
    }
    return { result: response.overallResult }
  } catch (exc) {
    return { error: { message: String(exc && exc.stack ? exc.stack : exc) } }
  }
}

for await (const line of lines) {
  if (line.trim() === '') continue
  out.push(JSON.stringify(await answer(line)))
  if (out.length >= 512) flush()
  else if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}
flush()
