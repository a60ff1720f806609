#!/usr/bin/env bash
# One GPU check of recnb, in under 8 minutes: nvidia-smi, `python -m recnb bench` on the device (ML-100K:
# epoch times of GRU / SASRec / LightGCN, time to best validation NDCG@10, EASE fit, full-ranking
# evaluation, fp32 GEMM reference and each epoch's share of its floor), the CPU GEMM rate of the same
# machine for contrast, then notebooks 03-06 of the quick profile on the device, one at a time under a
# shared time budget, with each notebook's wall seconds from its manifest.json.
#
# Usage (from the checkout root):  bash tools/gpu_check.sh ML100K_FOLDER [DEVICE]
#   ML100K_FOLDER: a folder holding the raw ML-100K files (ml-100k.inter/.item/.user, or GroupLens' u.data,
#                  u.item, u.user), e.g. data/raw/ml-100k carried from the checkout; nothing is downloaded.
#   DEVICE:        cuda (default), cpu or auto: the value of --device (cpu: a dry run of the same steps).
# Environment: OUT (default ./gpu-check-out) receives gpu_check.log, bench.json and manifests.json;
#   GPU_CHECK_BUDGET_S (default 460) caps the whole script; GPU_CHECK_NOTEBOOKS (default "03 04 05 06");
#   GPU_CHECK_BENCH_EPOCHS (default 100) caps each training run of the bench.
# Wheels in .whl/ (papermill, nbconvert, nbformat, ipykernel and their needs) are installed into
# /tmp/recnb-site first when papermill is not importable.
set -uo pipefail
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET_S:-460}
DATA=${1:?usage: tools/gpu_check.sh ML100K_FOLDER [cuda|cpu|auto]}
DEVICE=${2:-cuda}
OUT=${OUT:-$PWD/gpu-check-out}
NOTEBOOKS=${GPU_CHECK_NOTEBOOKS:-03 04 05 06}
EPOCHS=${GPU_CHECK_BENCH_EPOCHS:-100}
PY=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
left() { echo $((BUDGET - ($(date +%s) - START))); }

cd "$ROOT" || exit 2
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RECNB_ROOT="$ROOT"
# the data search path wants a folder named ml-100k: link the given one under that name
DATA=$(cd "$DATA" && pwd) || { say "no folder $1"; exit 2; }
if [ "$(basename "$DATA")" = ml-100k ]; then
  export RECNB_DATA_PATH=$(dirname "$DATA")
else
  mkdir -p /tmp/recnb-data && ln -sfn "$DATA" /tmp/recnb-data/ml-100k && export RECNB_DATA_PATH=/tmp/recnb-data
fi
if ! "$PY" -c "import papermill" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/recnb-site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/recnb-site" PATH="/tmp/recnb-site/bin:$PATH"
fi

say "== nvidia-smi"
(nvidia-smi 2>&1 || echo "nvidia-smi not available") | tee -a "$LOG"
say "== versions"
"$PY" -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" 2>&1 | tee -a "$LOG"
"$PY" -c "import recnb, recnb.env as e; print('recnb from', recnb.__file__, '| device', e.parse_device('$DEVICE'))" 2>&1 | tee -a "$LOG" \
  || { say "recnb does not import or device $DEVICE is not usable"; exit 3; }

say "== bench --device $DEVICE (ML-100K, at most $EPOCHS epochs per training run; $(left) s left)"
timeout $(( $(left) > 360 ? 270 : $(left) / 2 )) "$PY" -m recnb bench --device "$DEVICE" --only ml-100k \
  --epochs "$EPOCHS" --repeats "${GPU_CHECK_REPEATS:-3}" 2>&1 | grep -v Warning | tee -a "$LOG"
say "bench exit: $?"
cp reports/bench.json "$OUT/bench.json" 2>/dev/null
say "== CPU fp32 GEMM of the same shape, for contrast"
"$PY" -c "
import torch
from recnb.bench.flops import gemm_flops_per_second
for m, k, n in [(6400, 64, 1682), (4096, 4096, 4096)]:
    print(f'cpu fp32 GEMM {m}x{k} @ {k}x{n}: {gemm_flops_per_second(m, k, n, \"cpu\", repeats=3) / 1e9:.1f} GFLOP/s ({torch.get_num_threads()} threads)')
if torch.cuda.is_available():
    print(f'cuda fp32 GEMM 4096x4096 @ 4096x4096: {gemm_flops_per_second(4096, 4096, 4096, \"cuda\") / 1e12:.1f} TFLOP/s')
" 2>&1 | tee -a "$LOG"

say "== report --profile quick --device $DEVICE, notebooks: $NOTEBOOKS ($(left) s left)"
REP=/tmp/recnb-gpu-reports
echo "[]" >"$OUT/manifests.json"
for nb in $NOTEBOOKS; do
  budget=$(left)
  if [ "$budget" -lt 20 ]; then say "$nb: skipped, time budget spent"; continue; fi
  t0=$(date +%s)
  timeout "$budget" "$PY" -m recnb report --profile quick --device "$DEVICE" --only "$nb" --out "$REP" >>"$LOG" 2>&1
  rc=$?
  say "$nb: exit $rc after $(( $(date +%s) - t0 )) s$([ $rc -eq 124 ] && echo ' (timed out: the budget ran out)')"
  "$PY" - "$REP/quick/manifest.json" "$OUT/manifests.json" "$rc" <<'EOF' 2>&1 | tee -a "$LOG"
import json, sys
from pathlib import Path
src, dst, rc = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
runs = json.loads(dst.read_text())
if rc == 124 or not src.exists():
    print("   no manifest (the run was stopped before it finished)")
else:
    m = json.loads(src.read_text())
    runs.append(m)
    for n in m["notebooks"]:
        err = n["error"]
        print(f"   {n['notebook']}: {'ok' if n['ok'] else 'FAILED'} in {n['wall_s']} s wall"
              + (f" ({err['ename']}: {str(err['evalue'])[:300]})" if err else ""))
    src.unlink()
dst.write_text(json.dumps(runs, indent=1, default=str))
EOF
done
say "== done in $(( $(date +%s) - START )) s; files in $OUT"
