#!/usr/bin/env bash
# The self-assembly timing model (not a test, not a measurement): up -> all nodes Ready for 1+3 and 1+50, stock vs
# golden, and the SSM calls a waiting worker makes, from the templates' poll schedule. See README.md here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec dotnet run --project "$root/tests/NodeImager.SelfAssembly.Tests" -- benchmark
