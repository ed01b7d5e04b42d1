#!/usr/bin/env bash
# Builds the Lambda deployment from the source tree: ./deploy/package.sh --model stories260K --arch x86_64 --out dist/lambda
# (the same as `llambda package ...`; this form needs only the .NET SDK, not an installed llambda).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project src/Llambda.Cli -c Release -- package "$@"
