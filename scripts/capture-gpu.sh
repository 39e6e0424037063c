#!/usr/bin/env bash
# Captures, on a GPU node, exactly what Floorwatch's GPU collectors read (the agent's nvidia-smi query,
# `-q -x`, dmon, and dcgm-exporter / dcgmi where installed), idle and under a load, for parser fixtures.
# Usage: scripts/capture-gpu.sh OUT_DIR [load_seconds=40]
# The load is a short matrix-multiply loop (PyTorch when installed, else a small CUDA kernel built with
# nvcc); without either, only the idle captures are taken.
set -u
out=${1:?usage: capture-gpu.sh OUT_DIR [load_seconds]}
load_s=${2:-40}
mkdir -p "$out"
here=$(cd "$(dirname "$0")/.." && pwd)
# The agent's own field list, read from its source so the capture can never drift from what it asks.
fields=$(sed -n '/AGENT_QUERY_FIELDS = \[/,/\] as const/p' "$here/server/agent/smi-csv.ts" | grep -o "'[^']*'" | tr -d "'" | paste -sd, -)

run() { # name, command...: stdout to $out/name, stderr and rc to $out/name.err
  local name=$1; shift
  "$@" >"$out/$name" 2>"$out/$name.err"; echo "rc=$?" >>"$out/$name.err"
}

{
  echo "date: $(date -u +%FT%TZ)"; uname -a
  nvidia-smi --version
  nvidia-smi -L
  for t in python3 nvcc node dcgm-exporter dcgmi nv-hostengine gpu-burn; do printf '%s: %s\n' "$t" "$(command -v $t || echo absent)"; done
  python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 | tail -1
  echo "agent fields: $fields"
} >"$out/env.txt" 2>&1

snap() { # state
  local s=$1
  run "query-gpu_agent_${s}.csv" nvidia-smi "--query-gpu=$fields" --format=csv,noheader,nounits
  run "query-gpu_header_${s}.csv" nvidia-smi "--query-gpu=$fields" --format=csv
  run "q-x_${s}.xml" nvidia-smi -q -x
  run "dmon-pucm_${s}.txt" nvidia-smi dmon -c 3 -s pucm
  run "table_${s}.txt" nvidia-smi
}

snap idle
# What the agent's legacy fallback keys on: a driver's answer to a field it does not know.
run query-gpu_unknown-field.txt nvidia-smi --query-gpu=index,not.a.field --format=csv,noheader,nounits
run query-gpu_legacy-throttle-names.csv nvidia-smi --query-gpu=index,clocks_throttle_reasons.sw_power_cap,clocks_throttle_reasons.hw_thermal_slowdown --format=csv,noheader,nounits

loadpid=
if python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  python3 - "$load_s" <<'PY' &
import sys, time, torch
end = time.time() + float(sys.argv[1])
a = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device='cuda', dtype=torch.bfloat16)
while time.time() < end:
    for _ in range(50): c = a @ b
    torch.cuda.synchronize()
PY
  loadpid=$!; echo "load: torch bf16 matmul ${load_s}s" >>"$out/env.txt"
elif command -v nvcc >/dev/null; then
  cat >/tmp/fw-burn.cu <<'CU'
#include <cstdio>
#include <ctime>
__global__ void burn(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x; float v = x[i];
  for (int k = 0; k < n; k++) v = v * 0.999999f + 0.000001f;
  x[i] = v;
}
int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 40; size_t N = 1 << 26; float *x;
  cudaMalloc(&x, N * sizeof(float)); time_t end = time(0) + secs;
  while (time(0) < end) { burn<<<N / 256, 256>>>(x, 4096); cudaDeviceSynchronize(); }
  return 0;
}
CU
  nvcc -O2 -o /tmp/fw-burn /tmp/fw-burn.cu && { /tmp/fw-burn "$load_s" & loadpid=$!; echo "load: nvcc FMA kernel ${load_s}s" >>"$out/env.txt"; }
fi
if [ -n "$loadpid" ]; then
  sleep $(( load_s / 2 ))
  snap load
  wait "$loadpid"
fi

if command -v dcgm-exporter >/dev/null; then
  dcgm-exporter >"$out/dcgm-exporter.log" 2>&1 & dpid=$!
  sleep 8; curl -s localhost:9400/metrics >"$out/dcgm-exporter_idle.prom"; kill $dpid
fi
if command -v dcgmi >/dev/null; then
  (nv-hostengine >/dev/null 2>&1 || true)
  run dcgmi-dmon.txt dcgmi dmon -e 150,155,203,204,252 -c 3
fi
ls -la "$out"
