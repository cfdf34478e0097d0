#!/usr/bin/env bash
# Golden images, in figures: user-data sizes from the real renderer (stock vs golden node documents, builder
# documents), and the modelled boot-to-ready time for 1 master + 3 workers, stock vs golden, from the node
# simulator's benchmark model (branch sim: tests/benchmarks/self-assembly.sh) so there is one timing model.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

dotnet run --project "$root/tests/benchmarks/UserDataSizes" -v quiet -- "$root"
echo

if [ -x "$root/tests/benchmarks/self-assembly.sh" ]; then
  echo "Boot-to-ready, from the self-assembly model (tests/benchmarks/self-assembly.sh):"
  "$root/tests/benchmarks/self-assembly.sh" | grep -E '^(Assumed|  |cluster|1\+3 )'
else
  # Until the sim branch is merged, quote its model's output (commit 09865fe, AssemblyModel.TypicalSteps).
  cat << 'TXT'
Boot-to-ready for 1+3, from the self-assembly model on branch sim (commit 09865fe; run tests/benchmarks/self-assembly.sh once merged):
  per node, stock / golden (s): boot 45/45, apt repos 15/0, containerd+docker 35/0, kubelet/kubeadm/kubectl 20/0,
  firewalld 10/4, marker check 0/2, kubeadm init 80/45, flannel+publish 6/6, kubeadm join 25/20, node Ready 30/8
  cluster  image    join published  master Ready  all Ready: earliest / typical / latest
  1+3      stock          211 s         241 s           266 /   296 /   344 s (4.9 min)
  1+3      golden         102 s         110 s           130 /   150 /   182 s (2.5 min)
TXT
fi
